// Package jit holds the example configuration of an access repository (the
// config, CODEOWNERS and the JSON Schemas that request files point editors
// at), embedded so that `jit sandbox` and the end-to-end tests build their
// access repository from the very files this repository ships. The
// access repository's workflows are templates in internal/initrepo, written
// by `jit init`, so that they never run in this repository.
package jit

import "embed"

// Template is the example access repository: the config, CODEOWNERS and the
// JSON Schemas that request files point editors at.
//
//go:embed .github/jit.yaml .github/CODEOWNERS schema/request.schema.json schema/config.schema.json
var Template embed.FS
