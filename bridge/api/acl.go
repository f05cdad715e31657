package api

import (
	"context"
	"net/http"
	"net/url"
)

// ACLBootstrap creates the first management token; it works once per
// cluster (then CodeConflict). req may be nil. The reply holds the secret:
// it is never shown again.
func (c *Client) ACLBootstrap(ctx context.Context, req *ACLBootstrapRequest) (*ACLToken, error) {
	if req == nil {
		req = &ACLBootstrapRequest{}
	}
	var out ACLToken
	if _, err := c.do(ctx, http.MethodPost, "/v1/acl/bootstrap", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ACLCreateToken creates a token (management token). The reply holds the
// secret: it is never shown again.
func (c *Client) ACLCreateToken(ctx context.Context, req *ACLTokenRequest) (*ACLToken, error) {
	if req == nil {
		return nil, errNilRequest
	}
	var out ACLToken
	if _, err := c.do(ctx, http.MethodPost, "/v1/acl/tokens", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ACLListTokens lists every token, without secrets (management token).
func (c *Client) ACLListTokens(ctx context.Context) ([]*ACLToken, error) {
	var out []*ACLToken
	_, err := c.do(ctx, http.MethodGet, "/v1/acl/tokens", nil, nil, &out)
	return out, err
}

// ACLSelf returns the caller's own token, without its secret.
func (c *Client) ACLSelf(ctx context.Context) (*ACLToken, error) {
	var out ACLToken
	if _, err := c.do(ctx, http.MethodGet, "/v1/acl/token/self", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ACLDeleteToken deletes a token by accessor id (management token).
func (c *Client) ACLDeleteToken(ctx context.Context, accessorID string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/acl/token/"+url.PathEscape(accessorID), nil, nil, &WriteResponse{})
	return err
}
