package schema

import (
	"sort"

	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/location"
)

// graphql-go v0.8.1 turns the position of every node an error names into a line and column by
// compiling a regular expression and scanning the whole document, once per position
// (location.GetLocation). An execution error on a field repeated a few hundred times names every
// copy: 245 copies in a 60 KB document cost ~0.37 s of CPU. The handler therefore parses with
// NoSource: graphql-go then reports each position p as line 1, column p+1 at no cost, and
// lineIndex turns that into the line and column GetLocation would have given, by a binary
// search over the document's line breaks, found once per document.

// lineIndex holds the line breaks of a document: for each, the offset where it starts and the
// offset just after it ("\r\n" is one break), as GetLocation counts them.
type lineIndex struct {
	starts, ends []int
}

func newLineIndex(query string) lineIndex {
	var li lineIndex
	for i := 0; i < len(query); i++ {
		switch query[i] {
		case '\r':
			li.starts = append(li.starts, i)
			if i+1 < len(query) && query[i+1] == '\n' {
				i++
			}
			li.ends = append(li.ends, i+1)
		case '\n':
			li.starts, li.ends = append(li.starts, i), append(li.ends, i+1)
		}
	}
	return li
}

// at returns the line and column of position p, as location.GetLocation does.
func (li lineIndex) at(p int) location.SourceLocation {
	n := sort.SearchInts(li.starts, p) // breaks that start before p
	if n == 0 {
		return location.SourceLocation{Line: 1, Column: p + 1}
	}
	return location.SourceLocation{Line: n + 1, Column: p + 1 - li.ends[n-1]}
}

// relocate rewrites the locations graphql-go gave errs on a document parsed with NoSource (line
// 1, column position+1) into real lines and columns.
func (li lineIndex) relocate(errs []gqlerrors.FormattedError) {
	for i := range errs {
		for j, l := range errs[i].Locations {
			if l.Line == 1 && l.Column >= 1 {
				errs[i].Locations[j] = li.at(l.Column - 1)
			}
		}
	}
}
