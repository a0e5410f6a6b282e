// The request file, as schema.RenderRequest (schema/render.go) writes it
// for jit new: the same rules, line for line, so the page and jit new write
// the same bytes for the same answers (internal/catalog's
// TestPageRendersAsJitNew holds them to it). It touches no page: node runs
// it in that test.
"use strict";

var jitRequest = (function () {
  const schemaComment = "yaml-language-server: $schema=../../schema/request.schema.json";
  const plainName = /^(?:[A-Za-z][A-Za-z0-9._/+=,@-]*|[0-9]+[a-z]+)$/;
  const yamlWord = /^(?:y|yes|n|no|true|false|on|off|null)$/i;

  // trimText trims the white space a form leaves around a value.
  const trimText = (s) => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");

  // scalar writes s plain when it is a name YAML reads as that string, and
  // double-quoted otherwise.
  function scalar(s) {
    if (typeof s.toWellFormed === "function") s = s.toWellFormed();
    if (plainName.test(s) && !yamlWord.test(s)) return s;
    let out = '"';
    for (const ch of s) {
      const c = ch.codePointAt(0);
      if (ch === '"' || ch === "\\") out += "\\" + ch;
      else if (ch === "\n") out += "\\n";
      else if (ch === "\t") out += "\\t";
      else if (ch === "\r") out += "\\r";
      else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff) {
        out += "\\u" + c.toString(16).padStart(4, "0");
      } else out += ch;
    }
    return out + '"';
  }

  // file is the request file of a draft: the keys of the file, and
  // custom_permission_set's inline_policy as JSON text.
  function file(d, comment) {
    const lines = ["# " + (comment || schemaComment)];
    const line = (indent, key, value) => lines.push(indent + key + ": " + scalar(value || ""));
    line("", "account", d.account);
    const c = d.custom_permission_set;
    if (c) {
      lines.push("custom_permission_set:");
      line("  ", "name", c.name);
      line("  ", "session_duration", c.session_duration);
      if (c.managed_policies && c.managed_policies.length) {
        lines.push("  managed_policies:");
        for (const p of c.managed_policies) lines.push("    - " + scalar(p));
      }
      const policy = trimText(c.inline_policy || "");
      if (policy) {
        lines.push("  inline_policy: |");
        for (let l of policy.replace(/\r\n/g, "\n").split("\n")) {
          l = l.replace(/[ \t\r]+$/, "");
          lines.push(l ? "    " + l : "");
        }
      }
    } else {
      line("", "permission_set", d.permission_set);
    }
    line("", "duration", d.duration);
    line("", "justification", trimText(d.justification || ""));
    if (d.emergency) lines.push("emergency: true");
    if (d.start_at) line("", "start_at", d.start_at);
    return lines.join("\n") + "\n";
  }

  // slug is the file name from the justification: its first words, lower
  // case, whole words only, at most 40 characters.
  function slug(s) {
    const words = s.split(/[^A-Za-z0-9]+/).filter(Boolean);
    let out = "";
    for (const w of words) {
      if (out && out.length + 1 + w.length > 40) break;
      out += (out ? "-" : "") + w.toLowerCase();
    }
    return out ? out.slice(0, 40) : "request";
  }

  const path = (account, name) => "requests/" + account + "/" + name + ".yaml";

  return { file, slug, path };
})();

if (typeof module !== "undefined") module.exports = jitRequest;
