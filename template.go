// Package jit holds the template of an access repository: the files an
// organisation copies to run jit, embedded so that `jit sandbox` and the
// end-to-end tests build their access repository from the very files this
// repository ships.
package jit

import "embed"

// Template is the access repository template: the config, CODEOWNERS,
// workflows and the JSON Schemas that request files point editors at.
//
//go:embed .github/jit.yaml .github/CODEOWNERS .github/workflows/validate.yml .github/workflows/reconcile.yml schema/request.schema.json schema/config.schema.json
var Template embed.FS
