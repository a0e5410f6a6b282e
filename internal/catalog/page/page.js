// The request page: the catalog (catalog.json) as a form. It writes the
// request file as jit new does and links to GitHub's "new file" page with
// the file filled in, so the requester commits it and opens the pull
// request as themselves. It holds no secret and sends nothing anywhere but
// the lint endpoint of the jit serve it came from.
"use strict";

(async function () {
  const $ = (id) => document.getElementById(id);
  const sessions = ["1h", "2h", "4h", "8h", "12h"];

  let data;
  try {
    const r = await fetch("catalog.json", { cache: "no-cache" });
    if (!r.ok) throw new Error(await r.text());
    data = await r.json();
  } catch (e) {
    $("load-error").textContent = "The catalog cannot be loaded: " + e.message;
    $("load-error").hidden = false;
    return;
  }
  const cat = data.catalog;
  $("repo").textContent = data.repo;
  for (const s of sessions) $("session").add(new Option(s, s));
  let policies = [];
  let lintFindings = [];
  let lintSeq = 0;
  let lintTimer = 0;

  const account = () => cat.accounts.find((a) => a.name === $("account").value);
  const isCustom = () => $("kind-custom").checked;
  const checkedSet = () => {
    const r = document.querySelector("input[name=set]:checked");
    return r ? r.value : "";
  };
  const currentSet = () => {
    const a = account();
    if (!a) return null;
    if (isCustom()) return a.custom;
    return a.permission_sets.find((s) => s.name === checkedSet()) || null;
  };

  function badge(text, cls, title) {
    const b = document.createElement("span");
    b.className = "badge " + cls;
    b.textContent = text;
    if (title) b.title = title;
    return b;
  }

  function renderAccounts() {
    const q = $("account-search").value.trim().toLowerCase();
    const sel = $("account");
    const prev = sel.value;
    sel.replaceChildren();
    for (const a of cat.accounts) {
      if (q && !a.name.toLowerCase().includes(q) && !a.id.includes(q)) continue;
      sel.add(new Option(a.name + " (" + a.id + ")", a.name));
    }
    if ([...sel.options].some((o) => o.value === prev)) sel.value = prev;
    else if (sel.options.length === 1) sel.selectedIndex = 0;
    renderSets();
  }

  function renderSets() {
    const a = account();
    const prev = checkedSet();
    const list = $("sets");
    list.replaceChildren();
    $("account-note").textContent = a ? "Owners: " + (a.owners.length ? a.owners.join(", ") : "none (only SSO admins approve)") : "";
    if (a) {
      for (const s of a.permission_sets) {
        const li = document.createElement("li");
        const input = document.createElement("input");
        input.type = "radio";
        input.name = "set";
        input.value = s.name;
        input.id = "set-" + s.name;
        input.checked = s.name === prev || a.permission_sets.length === 1;
        input.addEventListener("change", update);
        const label = document.createElement("label");
        label.htmlFor = input.id;
        label.textContent = " " + s.name + " — up to " + (s.max_duration || s.durations[s.durations.length - 1]);
        li.append(input, label);
        if (s.isolate) li.append(badge("isolated", "isolated", "Its own JIT- copy that AWS ends on time"));
        if (s.auto_approve && s.auto_approve.length) {
          li.append(badge("auto-approval", "auto", s.auto_approve.map((r) => r.conditions).join("\n")));
        }
        if (s.why) li.append(badge("restricted", "restricted", s.why));
        list.append(li);
      }
    }
    update();
  }

  function renderDurations() {
    const s = currentSet();
    const sel = $("duration");
    const prev = sel.value;
    sel.replaceChildren();
    for (const d of s ? s.durations : []) sel.add(new Option(d, d));
    if ([...sel.options].some((o) => o.value === prev)) sel.value = prev;
    const note = [];
    if (s) {
      note.push("Approved by " + s.approval.map((st) => st.who + " (" + st.entries.join(", ") + ")").join(", ") + ".");
      for (const r of s.auto_approve || []) note.push("Approved at once when: " + r.conditions + ".");
    }
    $("approval").textContent = note.join(" ");
  }

  function renderPolicyResults() {
    const q = $("policy-search").value.trim().toLowerCase();
    const list = $("policy-results");
    list.replaceChildren();
    if (!q) return;
    let shown = 0;
    for (const p of data.managed_policies) {
      if (!p.toLowerCase().includes(q) || policies.includes(p)) continue;
      const li = document.createElement("li");
      li.textContent = p;
      li.tabIndex = 0;
      li.addEventListener("click", () => addPolicy(p));
      li.addEventListener("keydown", (e) => { if (e.key === "Enter") addPolicy(p); });
      list.append(li);
      if (++shown === 30) break;
    }
  }

  function addPolicy(p) {
    if (policies.length >= 10 || policies.includes(p)) return;
    policies.push(p);
    $("policy-search").value = "";
    renderPolicyResults();
    renderPolicies();
  }

  function renderPolicies() {
    const list = $("policies");
    list.replaceChildren();
    for (const p of policies) {
      const li = document.createElement("li");
      const rm = document.createElement("button");
      rm.type = "button";
      rm.textContent = "×";
      rm.title = "remove " + p;
      rm.addEventListener("click", () => { policies = policies.filter((x) => x !== p); renderPolicies(); });
      li.append(p, badge("managed", "managed"), rm);
      list.append(li);
    }
    update();
  }

  // requestFile is the file jit new writes for the same answers
  // (request.js).
  function requestFile() {
    const a = account();
    const d = { account: a ? a.name : "", duration: $("duration").value, justification: $("justification").value };
    if (isCustom()) {
      d.custom_permission_set = {
        name: $("custom-name").value.trim(), session_duration: $("session").value,
        managed_policies: policies, inline_policy: $("inline").value,
      };
    } else {
      d.permission_set = checkedSet();
    }
    return jitRequest.file(d);
  }

  function missing() {
    const m = [];
    if (!account()) m.push("an account");
    if (isCustom()) {
      if (!/^[A-Za-z0-9+=,.@_-]{1,28}$/.test($("custom-name").value.trim())) m.push("a custom set name (letters, digits, +=,.@_-)");
      if (!policies.length && !$("inline").value.trim()) m.push("a managed policy or an inline policy");
    } else if (!checkedSet()) {
      m.push("a permission set");
    }
    if (!$("duration").value) m.push("a duration");
    if ($("justification").value.trim().length < 10) m.push("a justification of at least 10 characters");
    return m;
  }

  function path() {
    const a = account();
    const name = $("name").value.trim() || jitRequest.slug($("justification").value);
    return jitRequest.path(a ? a.name : "", name);
  }

  function render() {
    const file = requestFile();
    const p = path();
    $("path").textContent = p;
    $("preview").textContent = file;
    const list = $("findings");
    list.replaceChildren();
    const m = missing();
    for (const what of m) {
      const li = document.createElement("li");
      li.className = "error";
      li.textContent = "missing " + what;
      list.append(li);
    }
    for (const f of lintFindings) {
      const li = document.createElement("li");
      li.className = f.severity;
      li.textContent = (f.line ? "line " + f.line + ": " : "") + f.message + (f.fix ? " (fix: " + f.fix + ")" : "");
      list.append(li);
    }
    if (!data.lint) {
      const li = document.createElement("li");
      li.textContent = "The pull request's check validates the file; this copy of the page has no linter.";
      list.append(li);
    }
    const ok = m.length === 0 && !lintFindings.some((f) => f.severity === "error");
    const link = $("open");
    link.classList.toggle("disabled", !ok);
    link.setAttribute("aria-disabled", String(!ok));
    if (ok) {
      link.href = data.web_url + "/" + data.repo + "/new/" + encodeURIComponent(data.branch) +
        "?filename=" + encodeURIComponent(p) + "&value=" + encodeURIComponent(file);
    } else {
      link.removeAttribute("href");
    }
    link.dataset.state = ok ? "ready" : "blocked";
  }

  function update() {
    $("custom").hidden = !isCustom();
    $("standard").hidden = isCustom();
    renderDurations();
    lintFindings = [];
    lintSeq++; // an answer for an older file is dropped
    link("pending");
    render();
    clearTimeout(lintTimer);
    if (data.lint && missing().length === 0) lintTimer = setTimeout(lint, 250);
  }

  function link(state) { $("open").dataset.lint = state; }

  // lint posts the file to jit serve's linter; the newest answer wins.
  async function lint() {
    const seq = lintSeq;
    try {
      const r = await fetch(data.lint + "?path=" + encodeURIComponent(path()), {
        method: "POST", headers: { "Content-Type": "text/plain" }, body: requestFile(),
      });
      const found = r.ok ? await r.json() : [{ severity: "error", message: (await r.text()).trim() }];
      if (seq !== lintSeq) return;
      lintFindings = found;
    } catch (e) {
      if (seq !== lintSeq) return;
      lintFindings = [{ severity: "warning", message: "the linter cannot be reached (" + e.message + "); the pull request's check still validates the file" }];
    }
    link("done");
    render();
  }

  $("account-search").addEventListener("input", renderAccounts);
  $("account").addEventListener("change", renderSets);
  for (const id of ["kind-standard", "kind-custom", "duration", "session"]) $(id).addEventListener("change", update);
  for (const id of ["justification", "name", "custom-name", "inline"]) $(id).addEventListener("input", update);
  $("policy-search").addEventListener("input", renderPolicyResults);
  renderAccounts();
})();
