package web

import "embed"

// Static holds the UI's assets (index.html, CSS and JavaScript modules), served under /ui/
// and, for index.html, at /. Every file is self-contained: no asset refers to another origin.
//
//go:embed static
var Static embed.FS
