package chattest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestReceiverRecordsAndFails(t *testing.T) {
	for _, fail := range []bool{false, true} {
		r := New(t, fail)
		for _, p := range []string{"/slack", "/teams"} {
			resp, err := http.Post(r.URL+p, "application/json", strings.NewReader(`{"text":"hi"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if want := map[bool]int{false: http.StatusOK, true: http.StatusServiceUnavailable}[fail]; resp.StatusCode != want {
				t.Errorf("fail=%v: status %d, want %d", fail, resp.StatusCode, want)
			}
		}
		if got := fmt.Sprint(r.Take()); got != `[slack: {"text":"hi"} teams: {"text":"hi"}]` {
			t.Errorf("fail=%v: received %s", fail, got)
		}
		if got := r.Take(); len(got) != 0 {
			t.Errorf("Take did not forget: %v", got)
		}
	}
}
