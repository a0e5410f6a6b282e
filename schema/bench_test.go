package schema

import (
	"fmt"
	"testing"
)

// generatedRequests builds n request files across the test config's
// accounts: three in four standard, one in four custom with an inline policy.
func generatedRequests(n int) (paths []string, files [][]byte) {
	for i := range n {
		var path, data string
		switch i % 4 {
		case 0, 1:
			path = fmt.Sprintf("requests/payments-prod/user%d-req%d.yaml", i%97, i)
			data = fmt.Sprintf("# yaml-language-server: $schema=../../schema/request.schema.json\naccount: payments-prod\npermission_set: ReadOnlyAccess\nduration: 4h\njustification: \"INC-%d: investigating elevated 5xx rates in the payment API\"\n", i)
		case 2:
			path = fmt.Sprintf("requests/data-prod/user%d-req%d.yaml", i%97, i)
			data = fmt.Sprintf("# yaml-language-server: $schema=../../schema/request.schema.json\naccount: \"777788889999\"\npermission_set: ReadOnlyAccess\nduration: 1d\njustification: \"DATA-%d: check last night's export before it ships\"\n", i)
		default:
			path = fmt.Sprintf("requests/payments-prod/user%d-req%d.yaml", i%97, i)
			data = fmt.Sprintf(`# yaml-language-server: $schema=../../schema/request.schema.json
account: payments-prod
custom_permission_set:
  name: S3Read%d
  session_duration: 2h
  managed_policies: [CloudWatchLogsReadOnlyAccess]
  inline_policy:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Action: [s3:GetObject, s3:ListBucket]
        Resource: [arn:aws:s3:::bucket-%d, arn:aws:s3:::bucket-%d/*]
duration: 8h
justification: "INC-%d: read the exported files for the incident review"
`, i, i, i, i)
		}
		paths = append(paths, path)
		files = append(files, []byte(data))
	}
	return paths, files
}

// BenchmarkValidateRequests validates 10,000 request files per operation:
// the load of a CI run over a large access repository.
func BenchmarkValidateRequests(b *testing.B) {
	cfg := testConfig(b)
	paths, files := generatedRequests(10000)
	opts := CheckOptions{Requester: "octocat"}
	for i := range files {
		if _, fs := ValidateRequest(paths[i], files[i], cfg, opts); len(fs) > 0 {
			b.Fatalf("%s: %v", paths[i], fs)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range files {
			ValidateRequest(paths[i], files[i], cfg, opts)
		}
	}
	b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "files/s")
}
