package identitycenter

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/layout"
)

const (
	setNamePrefix = layout.PermissionSetPrefix
	maxSetNameLen = 32
)

// managedPolicyARN turns an AWS managed policy path and name (e.g.
// job-function/ViewOnlyAccess) into its ARN in the partition of the
// instance; ARNs pass unchanged.
func managedPolicyARN(instanceARN, pathAndName string) string {
	if strings.HasPrefix(pathAndName, "arn:") {
		return pathAndName
	}
	return "arn:" + partition(instanceARN) + ":iam::aws:policy/" + strings.TrimPrefix(pathAndName, "/")
}

// partition is the AWS partition an ARN names (aws, aws-cn, aws-us-gov).
func partition(arn string) string {
	p, _, _ := strings.Cut(strings.TrimPrefix(arn, "arn:"), ":")
	if p == "" {
		return "aws"
	}
	return p
}

// isoDuration renders d as the ISO 8601 duration AWS wants for a permission
// set's SessionDuration (PT4H, PT1H30M).
func isoDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h := int64(d / time.Hour)
	m := int64(d % time.Hour / time.Minute)
	s := int64(d % time.Minute / time.Second)
	var b strings.Builder
	b.WriteString("PT")
	if h > 0 {
		fmt.Fprintf(&b, "%dH", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dM", m)
	}
	if s > 0 || (h == 0 && m == 0) {
		fmt.Fprintf(&b, "%dS", s)
	}
	return b.String()
}

var isoDurationRE = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// parseISODuration reads the ISO 8601 durations AWS returns for session
// durations (days, hours, minutes, whole seconds).
func parseISODuration(s string) (time.Duration, error) {
	m := isoDurationRE.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" {
		return 0, fmt.Errorf("%q is not an ISO 8601 duration like PT4H", s)
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseInt(m[i+1], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%q is not an ISO 8601 duration like PT4H: %w", s, err)
		}
		d += time.Duration(n) * unit
	}
	return d, nil
}

var setNameUnsafe = regexp.MustCompile(`[^\w+=,.@-]`)

// setName picks the name of a new jit permission set: JIT-<base>, cut to
// AWS's 32 characters, with -2, -3 ... when the name is taken.
func setName(base string, taken func(string) bool) string {
	base = setNameUnsafe.ReplaceAllString(base, "-")
	if base == "" {
		base = "grant"
	}
	full := setNamePrefix + base
	name := truncate(full, maxSetNameLen)
	for i := 2; taken(name); i++ {
		suffix := "-" + strconv.Itoa(i)
		name = truncate(full, maxSetNameLen-len(suffix)) + suffix
	}
	return name
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
