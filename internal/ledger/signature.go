package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// SignersPath is the allowed-signers file on main: the public keys whose
// signatures make a commit jit's own word. It is git's own format
// (gpg.ssh.allowedSignersFile), so an auditor checks the history with
//
//	git -c gpg.ssh.allowedSignersFile=.github/jit-signers log --show-signature -- requests/
//
// The SSO admins own it (CODEOWNERS, and every change outside requests/
// needs an SSO admin's approval).
const SignersPath = ".github/jit-signers"

// sigNamespace is the namespace git signs commits in.
const sigNamespace = "git"

// Signers are the keys of an allowed-signers file. Only ssh-ed25519 keys
// are accepted: the reconcile's key is generated for jit, and one key type
// keeps the verification small enough to check by reading.
type Signers struct {
	keys []signer
}

type signer struct {
	principal string
	key       ed25519.PublicKey
}

// ParseSigners reads an allowed-signers file: one key per line,
// "PRINCIPALS [OPTIONS] ssh-ed25519 BASE64 [COMMENT]", # comments and blank
// lines ignored. Options other than namespaces="git" are refused, and so is
// a file without any key, with the line.
func ParseSigners(data []byte) (*Signers, error) {
	s := &Signers{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 {
			return nil, fmt.Errorf("%s:%d: want \"PRINCIPAL ssh-ed25519 KEY\"", SignersPath, i+1)
		}
		principal, rest := fields[0], fields[1:]
		if len(rest) > 2 && !strings.HasPrefix(rest[0], "ssh-") && !strings.HasPrefix(rest[0], "ecdsa-") && !strings.HasPrefix(rest[0], "sk-") {
			if rest[0] != `namespaces="git"` {
				return nil, fmt.Errorf("%s:%d: option %s is not supported; use namespaces=\"git\" or none", SignersPath, i+1, rest[0])
			}
			rest = rest[1:]
		}
		if len(rest) < 2 || rest[0] != "ssh-ed25519" {
			return nil, fmt.Errorf("%s:%d: only ssh-ed25519 keys are accepted (generate one with ssh-keygen -t ed25519)", SignersPath, i+1)
		}
		key, err := parseEd25519(rest[1])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", SignersPath, i+1, err)
		}
		s.keys = append(s.keys, signer{principal: principal, key: key})
	}
	if len(s.keys) == 0 {
		return nil, fmt.Errorf("%s has no key: add the public key of the reconcile's signing key (JIT_SIGNING_KEY)", SignersPath)
	}
	return s, nil
}

// Has reports whether the public key line (as ssh-keygen -y prints it) is
// one of the signers.
func (s *Signers) Has(pubLine string) bool {
	fields := strings.Fields(pubLine)
	if len(fields) < 2 || fields[0] != "ssh-ed25519" {
		return false
	}
	key, err := parseEd25519(fields[1])
	if err != nil {
		return false
	}
	for _, k := range s.keys {
		if k.key.Equal(key) {
			return true
		}
	}
	return false
}

func parseEd25519(b64 string) (ed25519.PublicKey, error) {
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("the key is not base64: %w", err)
	}
	r := wire(blob)
	typ, key := r.str(), r.str()
	if r.err != nil || string(typ) != "ssh-ed25519" || len(key) != ed25519.PublicKeySize || len(r.b) != 0 {
		return nil, errors.New("not an ssh-ed25519 public key")
	}
	return ed25519.PublicKey(key), nil
}

// VerifyCommit checks a raw commit object (as git cat-file prints it):
// it must carry an SSH signature (git's gpgsig header) in the git
// namespace, made by one of the signers over the commit without that
// header. It returns the signer's principal. This is what
// `git verify-commit` checks with the same allowed-signers file; it is done
// here so that a run checks many commits in one git process.
func (s *Signers) VerifyCommit(raw []byte) (string, error) {
	sig, err := s.readSignature(raw, true)
	if err != nil {
		return "", err
	}
	var h hash.Hash = sha256.New()
	if string(sig.hashAlg) == "sha512" {
		h = sha512.New()
	}
	h.Write(sig.payload)
	var signed bytes.Buffer
	signed.WriteString("SSHSIG")
	for _, f := range [][]byte{sig.namespace, sig.reserved, sig.hashAlg, h.Sum(nil)} {
		writeStr(&signed, f)
	}
	if !ed25519.Verify(sig.key, signed.Bytes(), sig.sig) {
		return "", errors.New("the signature does not match the commit")
	}
	return sig.principal, nil
}

// VouchedCommit is VerifyCommit for a commit whose signature jit already
// checked and found valid: one named in the TrailerPrevious trailer of a
// commit whose own signature was checked (or vouched for in turn). It
// checks everything VerifyCommit does but the signature's arithmetic,
// which the vouching commit's signature stands for: the commit is signed,
// in the git namespace, by a key that is one of the signers now.
func (s *Signers) VouchedCommit(raw []byte) (string, error) {
	sig, err := s.readSignature(raw, false)
	return sig.principal, err
}

// commitSignature is a commit's SSH signature, read and matched with its
// signer but not checked.
type commitSignature struct {
	payload                      []byte // the commit without its gpgsig header
	namespace, reserved, hashAlg []byte
	sig                          []byte // the raw ed25519 signature
	key                          ed25519.PublicKey
	principal                    string
}

// readSignature reads the signature of a raw commit object and finds its
// signer, with what it signed when withPayload; the errors are
// VerifyCommit's.
func (s *Signers) readSignature(raw []byte, withPayload bool) (commitSignature, error) {
	var cs commitSignature
	payload, armored, ok := splitSignature(raw, withPayload)
	if !ok {
		return cs, errors.New("the commit is not signed")
	}
	blob, err := unarmor(armored)
	if err != nil {
		return cs, err
	}
	if !bytes.HasPrefix(blob, []byte("SSHSIG")) {
		return cs, errors.New("the signature is not an SSH signature")
	}
	r := wire(blob[6:])
	version := r.u32()
	pub, ns, reserved, hashAlg, sig := r.str(), r.str(), r.str(), r.str(), r.str()
	if r.err != nil || version != 1 {
		return cs, errors.New("the SSH signature is malformed")
	}
	if string(ns) != sigNamespace {
		return cs, fmt.Errorf("the signature is for namespace %q, not %q", ns, sigNamespace)
	}
	pr := wire(pub)
	typ, key := pr.str(), pr.str()
	if pr.err != nil || string(typ) != "ssh-ed25519" || len(key) != ed25519.PublicKeySize {
		return cs, errors.New("the commit is not signed with an ssh-ed25519 key")
	}
	switch string(hashAlg) {
	case "sha512", "sha256":
	default:
		return cs, fmt.Errorf("unsupported signature hash %q", hashAlg)
	}
	sr := wire(sig)
	format, sigBytes := sr.str(), sr.str()
	if sr.err != nil || string(format) != "ssh-ed25519" {
		return cs, errors.New("the SSH signature is not an ssh-ed25519 signature")
	}
	for _, k := range s.keys {
		if k.key.Equal(ed25519.PublicKey(key)) {
			return commitSignature{payload: payload, namespace: ns, reserved: reserved, hashAlg: hashAlg,
				sig: sigBytes, key: k.key, principal: k.principal}, nil
		}
	}
	return cs, fmt.Errorf("the commit is signed by a key that is not in %s", SignersPath)
}

// splitSignature separates a commit object into what was signed (the object
// without its gpgsig header), when withPayload, and the armored signature.
// It works on the bytes as they are, since an audit reads it for every
// commit on main; VouchedCommit needs no payload, and copying every
// commit would only make garbage.
func splitSignature(raw []byte, withPayload bool) (payload []byte, armored string, ok bool) {
	headerEnd := bytes.Index(raw, []byte("\n\n"))
	if headerEnd < 0 {
		headerEnd = len(raw)
	}
	header := raw[:min(headerEnd+1, len(raw))]
	var out []byte
	if withPayload {
		out = make([]byte, 0, len(raw))
	}
	var sig []byte
	in := false
	for len(header) > 0 {
		l := header
		if n := bytes.IndexByte(header, '\n'); n >= 0 {
			l = header[:n+1]
		}
		header = header[len(l):]
		switch {
		case bytes.HasPrefix(l, []byte("gpgsig ")):
			in, ok = true, true
			sig = append(sig, l[len("gpgsig "):]...)
		case in && l[0] == ' ':
			sig = append(sig, l[1:]...)
		default:
			in = false
			if withPayload {
				out = append(out, l...)
			}
		}
	}
	if withPayload && headerEnd < len(raw) {
		out = append(out, raw[headerEnd+1:]...)
	}
	return out, string(sig), ok
}

func unarmor(s string) ([]byte, error) {
	const begin, end = "-----BEGIN SSH SIGNATURE-----", "-----END SSH SIGNATURE-----"
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		return nil, errors.New("the commit's signature is not an SSH signature")
	}
	body := strings.Join(strings.Fields(s[i+len(begin):j]), "")
	blob, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("the SSH signature is not base64: %w", err)
	}
	return blob, nil
}

// wireReader reads the SSH wire format (RFC 4251): uint32 and length-prefixed
// strings. The first malformed read sets err and every later read fails.
type wireReader struct {
	b   []byte
	err error
}

func wire(b []byte) *wireReader { return &wireReader{b: b} }

func (r *wireReader) u32() uint32 {
	if r.err != nil || len(r.b) < 4 {
		r.err = errors.New("short SSH wire data")
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *wireReader) str() []byte {
	n := r.u32()
	if r.err != nil || uint64(len(r.b)) < uint64(n) {
		r.err = errors.New("short SSH wire data")
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func writeStr(b *bytes.Buffer, s []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(s)))
	b.Write(n[:])
	b.Write(s)
}
