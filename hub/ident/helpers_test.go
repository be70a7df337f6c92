package ident

import "fmt"

// fmtV formats v with %v and %+v, to check what a stray log line would show.
func fmtV(v any) string { return fmt.Sprintf("%v %+v", v, v) }
