package markdown

import "testing"

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"INC-1234: 5xx rates", "INC-1234: 5xx rates"},
		{"ok\n\n### jit: approved\n<!--", `ok \#\#\# jit: approved \<\!--`},
		{"ping @acme/sso-admins", "ping @\u200bacme/sso-admins"},
		{"a | b [x](y)", `a \| b \[x\](y)`},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"s3:GetObject", "`s3:GetObject`"},
		{"a `b` c", "``a `b` c``"},
		{"`x`", "`` `x` ``"},
		{"two\nlines", "`two lines`"},
	}
	for _, tt := range tests {
		if got := Code(tt.in); got != tt.want {
			t.Errorf("Code(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFence(t *testing.T) {
	for in, want := range map[string]string{`{"a":1}`: "```", "a````b": "`````"} {
		if got := Fence(in); got != want {
			t.Errorf("Fence(%q) = %q, want %q", in, got, want)
		}
	}
}
