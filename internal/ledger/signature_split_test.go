package ledger

import (
	"bytes"
	"strings"
	"testing"
)

// splitSignatureByLines is how splitSignature was first written, line by
// line on strings: the byte version must agree with it.
func splitSignatureByLines(raw []byte) ([]byte, string, bool) {
	headerEnd := bytes.Index(raw, []byte("\n\n"))
	if headerEnd < 0 {
		headerEnd = len(raw)
	}
	lines := strings.SplitAfter(string(raw[:min(headerEnd+1, len(raw))]), "\n")
	var out bytes.Buffer
	var sig strings.Builder
	in, ok := false, false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "gpgsig "):
			in, ok = true, true
			sig.WriteString(strings.TrimPrefix(l, "gpgsig "))
		case in && strings.HasPrefix(l, " "):
			sig.WriteString(l[1:])
		default:
			in = false
			out.WriteString(l)
		}
	}
	if headerEnd < len(raw) {
		out.Write(raw[headerEnd+1:])
	}
	return out.Bytes(), sig.String(), ok
}

func TestSplitSignature(t *testing.T) {
	for _, raw := range []string{
		"tree a\nparent b\nauthor x 1 +0000\ncommitter x 1 +0000\ngpgsig -----BEGIN SSH SIGNATURE-----\n U1NI\n -----END SSH SIGNATURE-----\n\nmsg\n\n gpgsig not a header\n",
		"tree a\nauthor x 1 +0000\ncommitter x 1 +0000\n\nunsigned\n",
		"tree a\ngpgsig one\n two\nencoding x\n continued\n\n",
		"tree a\ngpgsig only",
		"",
		"\n\n",
		"gpgsig \n \n\nbody",
	} {
		wantP, wantS, wantOK := splitSignatureByLines([]byte(raw))
		p, s, ok := splitSignature([]byte(raw), true)
		if !bytes.Equal(p, wantP) || s != wantS || ok != wantOK {
			t.Errorf("splitSignature(%q) = %q, %q, %v; want %q, %q, %v", raw, p, s, ok, wantP, wantS, wantOK)
		}
		// Without the payload, the same signature.
		if p, s, ok := splitSignature([]byte(raw), false); p != nil || s != wantS || ok != wantOK {
			t.Errorf("splitSignature(%q) without payload = %q, %q, %v; want nil, %q, %v", raw, p, s, ok, wantS, wantOK)
		}
	}
}
