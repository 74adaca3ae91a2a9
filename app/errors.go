// Package app holds Waybill's domain: shops, tokens, errors and the interfaces
// that adapters (store, shopify, redis, server) implement and that jobs and
// webhooks consume. It imports no adapter.
package app

import (
	"errors"
	"fmt"
)

// ErrorCode classifies an Error. The server maps each code to one HTTP status
// (see server.statusFor); jobs use it to decide whether a retry can help.
type ErrorCode string

const (
	ErrInvalid      ErrorCode = "invalid"               // the caller sent something wrong
	ErrUnauthorized ErrorCode = "unauthorized"          // missing or wrong credentials
	ErrForbidden    ErrorCode = "forbidden"             // credentials fine, action not allowed
	ErrNotFound     ErrorCode = "not_found"             // no such thing (for this shop)
	ErrConflict     ErrorCode = "conflict"              // clashes with existing state
	ErrTooLarge     ErrorCode = "too_large"             // body or batch over the limit
	ErrRateLimited  ErrorCode = "rate_limited"          // slow down
	ErrUnavailable  ErrorCode = "unavailable"           // a dependency is down; retrying later can work
	ErrNeedsReauth  ErrorCode = "needs_reauthorization" // the shop must open or reinstall the app
	ErrSchemaTooNew ErrorCode = "schema_too_new"        // the database was migrated by a newer Waybill
	ErrInternal     ErrorCode = "internal"              // a bug or an unexpected failure
)

// Error is Waybill's one error type. Message is safe to show to the caller;
// Err, when set, is the underlying cause for logs.
type Error struct {
	Code    ErrorCode
	Message string
	Err     error
	// Msg, when set, says Message as a code with parameters, which the
	// admin words in the merchant's language.
	Msg *Message
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a formatted, caller-safe message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Refusal is an Error a merchant reads: m's English text as its message,
// and m itself for the admin to word.
func Refusal(code ErrorCode, m Message) *Error {
	return &Error{Code: code, Message: m.Text, Msg: &m}
}

// WrapError attaches a cause to a caller-safe message.
func WrapError(code ErrorCode, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCodeOf returns the code of the first Error in err's chain, or
// ErrInternal for any other non-nil error.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrInternal
}

// ErrorMessageOf returns the caller-safe message of err: the Error's message,
// or a generic sentence for anything else so internals never leak.
func ErrorMessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side. Please try again; if it keeps happening, contact support."
}
