// Package schema holds the formats of jit's files, the request files
// (requests/<account>/<name>.yaml) and the configuration (.github/jit.yaml),
// and validates them.
//
// The JSON Schemas request.schema.json and config.schema.json are the one
// source of truth for each format: editors point at them, and the Go
// validation runs them first, then the checks a schema cannot state (the
// requester's identity, the account's permission sets, durations within the
// policy, IAM limits). Problems come back as Findings with file, line and
// column, what is wrong and how to fix it; bad input never panics.
package schema
