package idcemu

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Constraints from the sso-admin and identitystore service models.
var (
	instanceARNPattern      = regexp.MustCompile(`^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$`)
	permissionSetARNPattern = regexp.MustCompile(`^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}$`)
	accountIDPattern        = regexp.MustCompile(`^\d{12}$`)
	principalIDPattern      = regexp.MustCompile(`^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$`)
	requestIDPattern        = regexp.MustCompile(`^\b[0-9a-f]{8}\b-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-\b[0-9a-f]{12}\b$`)
	permissionSetNameRE     = regexp.MustCompile(`^[\w+=,.@-]+$`)
	descriptionRE           = regexp.MustCompile("^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$")
	managedPolicyARNPattern = regexp.MustCompile(`^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):iam::aws:policy/[\w+=,.@/-]+$`)
	tagKeyRE                = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	tagValueRE              = tagKeyRE
	isoDurationRE           = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)
)

// Service quotas and limits that the emulator enforces.
const (
	maxInlinePolicyBytes       = 32768
	maxManagedPolicies         = 10
	maxPermissionSets          = 2000
	maxProvisionedPerAccount   = 250
	maxTagsPerResource         = 75 // TagList max in botocore 1.43.67 (constraints_gen.go)
	minSessionDuration         = time.Hour
	maxSessionDuration         = 12 * time.Hour
	defaultSessionDurationISO  = "PT1H"
	permissionSetNameMaxLength = 32
	descriptionMaxLength       = 700
	relayStateMaxLength        = 240
	maxResultsLimit            = 100
	listInstancesMaxResultsCap = 10
)

func requireString(member string, v *string) (string, *apiError) {
	if v == nil {
		return "", errNull(member)
	}
	return *v, nil
}

// requireLength is requireString with a length between lo and hi bytes.
func requireLength(member string, v *string, lo, hi int) (string, *apiError) {
	s, aerr := requireString(member, v)
	if aerr != nil {
		return "", aerr
	}
	if len(s) < lo || len(s) > hi {
		return "", errLength(member, s, lo, hi)
	}
	return s, nil
}

func requirePattern(member string, v *string, re *regexp.Regexp) (string, *apiError) {
	s, aerr := requireString(member, v)
	if aerr != nil {
		return "", aerr
	}
	if !re.MatchString(s) {
		return "", errPattern(member, s, strings.Trim(re.String(), "^$"))
	}
	return s, nil
}

// find looks up the record a required id member names: a null or
// malformed id is a ValidationException, an unknown one notFound's error.
func find[T any](records map[string]*T, member string, id *string, re *regexp.Regexp, notFound func(id string) *apiError) (*T, *apiError) {
	s, aerr := requirePattern(member, id, re)
	if aerr != nil {
		return nil, aerr
	}
	if r := records[s]; r != nil {
		return r, nil
	}
	return nil, notFound(s)
}

// parseISODuration reads the ISO 8601 durations Identity Center uses for
// session durations (PT4H, PT1H30M, P1D ...).
func parseISODuration(s string) (time.Duration, bool) {
	m := isoDurationRE.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" || strings.HasSuffix(s, "T") {
		return 0, false
	}
	units := []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second}
	var d time.Duration
	for i, u := range units {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.Atoi(m[i+1])
		if err != nil || n > 1_000_000 {
			return 0, false
		}
		d += time.Duration(n) * u
	}
	return d, true
}

// formatISODuration writes d the way AWS returns session durations: PT4H,
// PT1H30M.
func formatISODuration(d time.Duration) string {
	if d <= 0 {
		return defaultSessionDurationISO
	}
	d = d.Truncate(time.Second)
	var b strings.Builder
	b.WriteString("PT")
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dH", h)
	}
	if m := d % time.Hour / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dM", m)
	}
	if s := d % time.Minute / time.Second; s > 0 {
		fmt.Fprintf(&b, "%dS", s)
	}
	return b.String()
}

func validateSessionDuration(v *string) *apiError {
	if v == nil {
		return nil
	}
	if len(*v) < 1 || len(*v) > 100 {
		return errLength("SessionDuration", *v, 1, 100)
	}
	d, ok := parseISODuration(*v)
	if !ok {
		return errValidation("The session duration %q is not a valid ISO-8601 duration, for example PT4H.", *v)
	}
	if d < minSessionDuration || d > maxSessionDuration {
		return errValidation("The session duration %s must be between 1 and 12 hours (PT1H to PT12H).", *v)
	}
	return nil
}

func validateDescription(v *string) *apiError {
	if v == nil {
		return nil
	}
	if len(*v) < 1 || len(*v) > descriptionMaxLength {
		return errLength("Description", *v, 1, descriptionMaxLength)
	}
	if !descriptionRE.MatchString(*v) {
		return errPattern("Description", *v, `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)
	}
	return nil
}

func validateRelayState(v *string) *apiError {
	if v != nil && (len(*v) < 1 || len(*v) > relayStateMaxLength) {
		return errLength("RelayState", *v, 1, relayStateMaxLength)
	}
	return nil
}

func validateTags(tags []wireTag) (map[string]string, *apiError) {
	if len(tags) > maxTagsPerResource {
		return nil, errValidation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", maxTagsPerResource)
	}
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		if t.Key == nil {
			return nil, errNull("Tags.member.Key")
		}
		if t.Value == nil {
			return nil, errNull("Tags.member.Value")
		}
		if n := utf8.RuneCountInString(*t.Key); n < 1 || n > 128 {
			return nil, errLength("Tags.member.Key", *t.Key, 1, 128)
		}
		if !tagKeyRE.MatchString(*t.Key) {
			return nil, errPattern("Tags.member.Key", *t.Key, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
		if utf8.RuneCountInString(*t.Value) > 256 {
			return nil, errLength("Tags.member.Value", *t.Value, 0, 256)
		}
		if !tagValueRE.MatchString(*t.Value) {
			return nil, errPattern("Tags.member.Value", *t.Value, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
		if strings.HasPrefix(strings.ToLower(*t.Key), "aws:") {
			return nil, errValidation("Tag keys starting with aws: are reserved for AWS use.")
		}
		out[*t.Key] = *t.Value
	}
	return out, nil
}

// pageOf returns one page of items, which must be sorted by key. The
// NextToken is the opaque key of the last item returned, so paging stays
// correct when items are added or removed between pages.
func pageOf[T any](items []T, key func(T) string, p pageInput, limit int) ([]T, *string, *apiError) {
	nextToken, maxResults := p.NextToken, p.MaxResults
	size := min(DefaultPageSize, limit)
	if maxResults != nil {
		if *maxResults < 1 {
			return nil, nil, errValidation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1", *maxResults)
		}
		if int(*maxResults) > limit {
			return nil, nil, errValidation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", *maxResults, limit)
		}
		size = int(*maxResults)
	}
	start := 0
	if nextToken != nil && *nextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(*nextToken)
		if err != nil || !strings.HasPrefix(string(raw), "after:") {
			return nil, nil, errValidation("The NextToken %q is not valid; pass the NextToken of the previous response unchanged.", *nextToken)
		}
		after := strings.TrimPrefix(string(raw), "after:")
		start = len(items)
		for i, it := range items {
			if key(it) > after {
				start = i
				break
			}
		}
	}
	end := min(start+size, len(items))
	out := items[start:end]
	if end >= len(items) {
		return out, nil, nil
	}
	tok := base64.RawURLEncoding.EncodeToString([]byte("after:" + key(items[end-1])))
	return out, &tok, nil
}
