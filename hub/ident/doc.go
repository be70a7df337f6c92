// Package ident parses, validates, builds and masks the identifiers the hub
// handles: resident ID numbers (GB 11643-1999, 公民身份号码), unified social
// credit codes of organisations (GB 32100-2015, 统一社会信用代码) and
// e-licence identifiers (GB/T 36904-2018, 电子证照标识).
//
// Every function is pure and safe for concurrent use. Errors wrap the
// sentinel errors in errors.go (test them with errors.Is) and never contain
// the identifier being checked, so they may be logged: an ID number is
// personal data and must not reach a log line or an HTTP response unmasked
// (use MaskIDNumber for display).
package ident
