package identitycenter

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
)

// pager is one of the SDK's sso-admin paginators, whose pages are P.
type pager[P any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*ssoadmin.Options)) (P, error)
}

// eachPage hands every page to fn until fn returns false. A page that
// fails ends it with an error naming what was being listed (call), which
// wraps the SDK's, so errors.As still finds the AWS exception.
func eachPage[P any](ctx context.Context, p pager[P], call string, fn func(P) bool) error {
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", call, err)
		}
		if !fn(page) {
			return nil
		}
	}
	return nil
}

// allPages collects what items takes from every page.
func allPages[P, T any](ctx context.Context, p pager[P], call string, items func(P) []T) ([]T, error) {
	var out []T
	err := eachPage(ctx, p, call, func(page P) bool {
		out = append(out, items(page)...)
		return true
	})
	return out, err
}
