package iampolicy

import "testing"

// BenchmarkLint lints a typical custom permission set policy, the kind the
// request validator meets thousands of times in a repository.
func BenchmarkLint(b *testing.B) {
	node := inlinePolicy(b, requestFile(`
Version: "2012-10-17"
Statement:
  - Sid: ReadLogs
    Effect: Allow
    Action: [logs:GetLogEvents, logs:FilterLogEvents, logs:DescribeLogGroups, logs:DescribeLogStreams, cloudwatch:Get*]
    Resource: "*"
  - Sid: Bucket
    Effect: Allow
    Action: [s3:GetObject, s3:ListBucket, s3:PutObject]
    Resource: [arn:aws:s3:::payments-exports, arn:aws:s3:::payments-exports/*]
    Condition:
      Bool: {aws:SecureTransport: true}
`))
	loadCatalog()
	b.ReportAllocs()
	for b.Loop() {
		_, issues := Lint(node)
		if len(issues) != 1 {
			b.Fatalf("issues = %+v", issues)
		}
	}
}

// BenchmarkLintJSON lints the same kind of policy written as JSON.
func BenchmarkLintJSON(b *testing.B) {
	data := []byte(`{"Version":"2012-10-17","Statement":[{"Sid":"ReadLogs","Effect":"Allow","Action":["logs:GetLogEvents","logs:FilterLogEvents","logs:DescribeLogGroups","cloudwatch:Get*"],"Resource":"*"},{"Sid":"Bucket","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","s3:PutObject"],"Resource":["arn:aws:s3:::payments-exports","arn:aws:s3:::payments-exports/*"]}]}`)
	loadCatalog()
	b.ReportAllocs()
	for b.Loop() {
		LintJSON(data)
	}
}

// BenchmarkLoadCatalog measures the one-time cost of decoding the
// embedded catalog, paid by the first Lint in a process.
func BenchmarkLoadCatalog(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		loadCatalogUncached()
	}
}
