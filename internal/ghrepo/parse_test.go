package ghrepo

import "testing"

func TestParse(t *testing.T) {
	if r, err := Parse("acme/access"); err != nil || r != (Repo{Owner: "acme", Name: "access"}) {
		t.Errorf("Parse(acme/access) = %v, %v", r, err)
	}
	for _, bad := range []string{"", "acme", "/access", "acme/", "acme/access/x"} {
		if _, err := Parse(bad); err == nil || err.Error() != `"`+bad+`" must be OWNER/NAME` {
			t.Errorf("Parse(%q) = %v, want it refused", bad, err)
		}
	}
}
