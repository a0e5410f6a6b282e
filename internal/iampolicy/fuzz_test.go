package iampolicy

import (
	"encoding/json"
	"testing"

	"gopkg.in/yaml.v3"
)

var fuzzSeeds = []string{
	requestFile(validPolicy),
	"inline_policy: |\n  {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"iam:*\", \"Resource\": \"*\"}]}\n",
	"inline_policy: '{\"Statement\": {\"Effect\": \"Deny\", \"NotAction\": [\"s3:Get*\"], \"NotResource\": \"arn:aws:s3:::b\"}}'\n",
	"inline_policy: \"{\\\"Version\\\": \\\"2008-10-17\\\",\\n \\\"Statement\\\": []}\"\n",
	"inline_policy: >\n  {\"Version\": \"2012-10-17\",\n   \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:GetObjekt\", \"Resource\": \"arn:aws:s3\"}}\n",
	"inline_policy: {Version: 2012-10-17, Statement: [{Effect: Allow, Action: [sts:AssumeRole*], Resource: '*', Condition: {StringLike: {aws:x: [a]}}}]}\n",
	"inline_policy:\n  Statement: &a {Effect: Allow}\n  Id: *a\n",
	"inline_policy:\n",
	"inline_policy: [1, 2]\n",
}

// FuzzLint feeds request-file-like YAML through Lint: it must never panic,
// must return valid JSON when it returns a document, and positions must be
// real positions.
func FuzzLint(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(src), &root); err != nil || len(root.Content) == 0 {
			return
		}
		var nodes []*yaml.Node
		var walk func(n *yaml.Node, depth int)
		walk = func(n *yaml.Node, depth int) {
			if depth > 3 {
				return
			}
			nodes = append(nodes, n)
			for _, c := range n.Content {
				walk(c, depth+1)
			}
		}
		walk(root.Content[0], 0)
		for _, n := range nodes {
			doc, issues := Lint(n)
			checkResult(t, doc, issues)
		}
	})
}

// FuzzLintJSON feeds arbitrary bytes through LintJSON.
func FuzzLintJSON(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2012-10-17","Statement":[{"Sid":"A1","Effect":"Allow","Action":["s3:GetObject","iam:Put*"],"Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
		`{"Statement":{"Effect":"Allow","NotAction":"*","NotResource":["arn:aws:iam::${aws:PrincipalAccount}:role/x"]}}`,
		`{"Version": "2012-10-17", "Statement": [,]}`,
		`[[[[[[[[[[`,
		`{"a":1}{"b":2}`,
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, issues := LintJSON(data)
		checkResult(t, doc, issues)
	})
}

func checkResult(t *testing.T, doc []byte, issues []Issue) {
	t.Helper()
	if doc != nil && !json.Valid(doc) {
		t.Fatalf("doc is not valid JSON: %q", doc)
	}
	if doc == nil && len(issues) == 0 {
		t.Fatal("no document and no issue")
	}
	for _, i := range issues {
		if i.Line < 1 || i.Col < 1 || i.Message == "" {
			t.Fatalf("bad issue %+v", i)
		}
		switch i.Severity {
		case Error, Warning, Suggestion:
		default:
			t.Fatalf("bad severity in %+v", i)
		}
	}
}
