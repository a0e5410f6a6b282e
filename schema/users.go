package schema

import (
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// User is one users: entry of the config: the GitHub login's user in IAM
// Identity Center and, optionally, the GitHub account's immutable id. A
// login can be renamed and then registered by someone else; the id cannot,
// so with one jit refuses a requester or approver whose account is another.
// Written either as the user name alone or as a mapping:
//
//	octocat: octocat@acme.example
//	alice: {user_name: alice@acme.example, github_id: 583231}
type User struct {
	UserName string
	// GitHubID is the account's id (gh api users/LOGIN --jq .id); 0 when
	// the config does not pin it.
	GitHubID int64
}

// userMapping is the mapping form, as the schema describes it.
type userMapping struct {
	UserName string `yaml:"user_name" json:"user_name"`
	GitHubID int64  `yaml:"github_id,omitempty" json:"github_id,omitempty"`
}

// UnmarshalYAML reads either form; the schema has already checked which.
func (u *User) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*u = User{}
		return n.Decode(&u.UserName)
	}
	var m userMapping
	if err := n.Decode(&m); err != nil {
		return err
	}
	*u = User{UserName: m.UserName, GitHubID: m.GitHubID}
	return nil
}

// MarshalYAML writes the short form unless an id is pinned.
func (u User) MarshalYAML() (any, error) {
	if u.GitHubID == 0 {
		return u.UserName, nil
	}
	return userMapping{UserName: u.UserName, GitHubID: u.GitHubID}, nil
}

// MarshalJSON mirrors MarshalYAML.
func (u User) MarshalJSON() ([]byte, error) {
	if u.GitHubID == 0 {
		return json.Marshal(u.UserName)
	}
	return json.Marshal(userMapping{UserName: u.UserName, GitHubID: u.GitHubID})
}

// UnmarshalJSON mirrors UnmarshalYAML.
func (u *User) UnmarshalJSON(data []byte) error {
	var name string
	if err := json.Unmarshal(data, &name); err == nil {
		*u = User{UserName: name}
		return nil
	}
	var m userMapping
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*u = User{UserName: m.UserName, GitHubID: m.GitHubID}
	return nil
}

// User returns the users: entry of a GitHub login, matched ignoring case as
// GitHub does.
func (c *Config) User(login string) (User, bool) {
	login = strings.TrimPrefix(login, "@")
	if u, ok := c.Users[login]; ok {
		return u, true
	}
	for k, u := range c.Users {
		if strings.EqualFold(k, login) {
			return u, true
		}
	}
	return User{}, false
}

// UserName maps a GitHub login to its Identity Center user name. Logins
// are matched ignoring case, as GitHub does.
func (c *Config) UserName(login string) (string, bool) {
	u, ok := c.User(login)
	return u.UserName, ok
}

// CheckIdentity says whether the GitHub account acting as login, whose
// immutable id GitHub reports as id, is the one the config's users: entry
// for login pins. Logins without an entry or without a pinned id pass: the
// config made no claim about them. An id of 0 (GitHub did not say) fails a
// pinned entry: the account cannot be told apart from another that took the
// login. The error names the login and both ids.
func (c *Config) CheckIdentity(login string, id int64) error {
	if c == nil {
		return nil
	}
	u, ok := c.User(login)
	if !ok || u.GitHubID == 0 || u.GitHubID == id {
		return nil
	}
	if id == 0 {
		return fmt.Errorf("GitHub did not say which account %s is, and users: in .github/jit.yaml pins %s to GitHub id %d", login, login, u.GitHubID)
	}
	return fmt.Errorf("the GitHub account %s has id %d, but users: in .github/jit.yaml pins %s to id %d: the login was renamed and taken by another account, or the entry is wrong (check with: gh api users/%s --jq .id)", login, id, login, u.GitHubID, login)
}
