package githubemu

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// verifyAppJWT checks an App's JWT the way GitHub does: RS256 signed by the
// App's key, issued by the App's id, iat not in the future (60 s of skew) and
// exp in the future but at most 10 minutes ahead. The messages are GitHub's.
func verifyAppJWT(tok string, appID int64, pub *rsa.PublicKey, now time.Time) error {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return errors.New("A JSON web token could not be decoded")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return errors.New("A JSON web token could not be decoded")
	}
	if header.Alg != "RS256" {
		return fmt.Errorf("'Algorithm' %q is not supported, use RS256", header.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return errors.New("A JSON web token could not be decoded")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		return errors.New("A JSON web token could not be decoded")
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat *int64          `json:"iat"`
		Exp *int64          `json:"exp"`
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return errors.New("A JSON web token could not be decoded")
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	if iss != strconv.FormatInt(appID, 10) {
		return errors.New("'Issuer' claim ('iss') must be an Integer")
	}
	if claims.Iat == nil || claims.Exp == nil {
		return errors.New("Missing 'issued at' or 'expiration time' claim ('iat'/'exp')")
	}
	iat, exp := time.Unix(*claims.Iat, 0), time.Unix(*claims.Exp, 0)
	if iat.After(now.Add(60 * time.Second)) {
		return errors.New("'Issued at' claim ('iat') must be an Integer representing a time in the past")
	}
	if !exp.After(now) {
		return errors.New("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires")
	}
	if exp.After(now.Add(10*time.Minute)) || exp.Sub(iat) > 10*time.Minute+time.Minute {
		return errors.New("'Expiration time' claim ('exp') is too far in the future")
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
