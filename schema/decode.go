package schema

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jit-access/jit/internal/iampolicy"
)

// DecodeRequest reads a request file that is already on main, status
// included, into the value every part of jit works with: the App, jit
// validate, the reconcile, the provisioner and the audit. It is the same
// reading ParseRequest makes (the same safe YAML parser, the same struct
// decoding, iampolicy.Canonical for the inline policy), without the schema
// and lint checks, so that a file written under older rules can still be
// audited. The error names the file, line and column.
func DecodeRequest(path string, data []byte) (Request, error) {
	d, fs := parseYAML(path, data, MaxRequestBytes, "request file")
	if d == nil {
		return Request{}, findingsError(fs)
	}
	req, f := decodeRequest(d)
	if f == nil {
		f = canonicalPolicy(d, &req)
	}
	if f != nil {
		return Request{}, findingsError([]Finding{*f})
	}
	if req.Account == "" {
		return Request{}, fmt.Errorf("%s: no account: this is not a request file", path)
	}
	return req, nil
}

// inlinePolicyPointer is where a request holds its inline policy.
const inlinePolicyPointer = "/custom_permission_set/inline_policy"

// decodeRequest decodes a parsed request file, all but the inline policy.
func decodeRequest(d *document) (Request, *Finding) {
	var req Request
	if err := d.root.Decode(&req); err != nil {
		f := d.finding(d.root.Line, d.root.Column, SeverityError, "reading the request: "+yamlErrorText(err), "")
		return Request{}, &f
	}
	return req, nil
}

// canonicalPolicy fills in req's inline policy with iampolicy.Canonical:
// the one reading of a policy, which keeps every value as the text the
// approvers were shown.
func canonicalPolicy(d *document, req *Request) *Finding {
	loc, ok := d.nodes[inlinePolicyPointer]
	if !ok || req.CustomPermissionSet == nil {
		return nil
	}
	doc, err := iampolicy.Canonical(loc.value)
	if err != nil {
		line, col := loc.value.Line, loc.value.Column
		if pe, ok := errors.AsType[*iampolicy.PositionError](err); ok && pe.Line > 0 {
			line, col = pe.Line, pe.Col
		}
		f := d.finding(line, col, SeverityError, "inline_policy could not be read as an IAM policy: "+err.Error(),
			"write it as a YAML mapping or a JSON string")
		return &f
	}
	req.CustomPermissionSet.InlinePolicy = string(doc)
	return nil
}

// findingsError joins error findings into one error, each as
// PATH:LINE:COL: error: MESSAGE.
func findingsError(fs []Finding) error {
	if text := ErrorText(fs); text != "" {
		return errors.New(text)
	}
	return errors.New("the request file could not be read")
}

// probe is the status checkWritable tries in every request file.
var probe = func() *Status {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &Status{State: StateActive, PullRequest: 1, Requester: "requester", Duration: "1h",
		Approvals: []Approval{{By: "approver", Stage: "owner", At: at, Note: "probe"}},
		MergedAt:  &at, ActivatedAt: &at, ExpiresAt: &at, Notes: []string{"probe"}}
}()

// probeAtTop is the probe's block at the top level's usual indent (none),
// encoded once: it is the same for every file.
var probeAtTop = sync.OnceValues(func() ([]byte, error) { return encodeStatus(probe, 0) })

// probeBlock encodes the probe as encodeStatus does.
func probeBlock(indent int) ([]byte, error) {
	if indent == 0 {
		b, err := probeAtTop()
		// A copy: setStatus may rewrite line endings in what it gets.
		return bytes.Clone(b), err
	}
	return encodeStatus(probe, indent)
}

// checkWritable makes sure the reconcile will be able to record the grant's
// status in the file: a file the App accepts is a file the ledger can write
// (SetStatus edits the requester's bytes in place and refuses layouts it
// cannot edit safely, such as a flow mapping). It tries a status block.
func checkWritable(d *document, data []byte) []Finding {
	fix := "write the request as block YAML, one key per line, as `jit new` does"
	if d.root.Style&yaml.FlowStyle != 0 {
		return []Finding{d.finding(d.root.Line, d.root.Column, SeverityError,
			"the request is a flow mapping ({...}), in which jit cannot record the grant's status after the merge", fix)}
	}
	if appendsAtEnd(data, d.root) {
		// The common case, decided without writing and parsing the file
		// again: most of what validating a request costs otherwise.
		return nil
	}
	if _, err := setStatus(data, d.root, probe, probeBlock); err != nil {
		return []Finding{d.finding(d.root.Line, d.root.Column, SeverityError,
			"jit could not record the grant's status in this file after the merge: "+err.Error(), fix)}
	}
	return nil
}
