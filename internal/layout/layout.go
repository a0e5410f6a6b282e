// Package layout is where an access repository keeps jit's files, and the
// prefix of what jit creates in AWS: the one place these names are spelled.
// The App, the reconcile and the CLI read the rules from the same paths
// because they all read them from here.
package layout

import "strings"

const (
	// ConfigPath is the jit configuration.
	ConfigPath = ".github/jit.yaml"
	// CodeownersPath is the CODEOWNERS file jit reads the owners from.
	CodeownersPath = ".github/CODEOWNERS"
	// RequestsDir is the folder of request files:
	// requests/<account>/<name>.yaml.
	RequestsDir = "requests"
	// PermissionSetPrefix prefixes the name of every permission set jit
	// creates, and tells jit's sets from others.
	PermissionSetPrefix = "JIT-"
)

// CodeownersLocations are where GitHub looks for a CODEOWNERS file, in the
// order it looks: the first one that exists is used.
func CodeownersLocations() []string {
	return []string{CodeownersPath, "CODEOWNERS", "docs/CODEOWNERS"}
}

// IsCodeowners reports whether path is one of CodeownersLocations.
func IsCodeowners(path string) bool {
	for _, l := range CodeownersLocations() {
		if path == l {
			return true
		}
	}
	return false
}

// RequestPath is the path of request name for account.
func RequestPath(account, name string) string {
	return RequestsDir + "/" + account + "/" + name + ".yaml"
}

// InRequests reports whether path lies under the top-level requests folder.
func InRequests(path string) bool {
	return strings.HasPrefix(path, RequestsDir+"/")
}

// PermissionSetName is the name of the permission set jit creates for a
// custom permission set named name.
func PermissionSetName(name string) string { return PermissionSetPrefix + name }
