package app

import _ "embed"

// Manifest is the App's manifest (manifest.yml): its name, permissions and
// events, which `jit app create` posts to GitHub.
//
//go:embed manifest.yml
var Manifest []byte
