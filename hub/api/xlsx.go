package api

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// sheet is one worksheet of a download: its rows, the first a header, and the first column
// whose cells are numbers (-1: none).
type sheet struct {
	name    string
	rows    [][]string
	numFrom int
}

// workbook writes the sheets as an XLSX workbook, in order. In every row after the header the
// cells from the sheet's numFrom column on are numbers where they parse (integers as
// integers), so that a spreadsheet sums them; the others stay text.
func workbook(sheets ...sheet) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	for k, s := range sheets {
		var err error
		if k == 0 {
			err = f.SetSheetName("Sheet1", s.name)
		} else {
			_, err = f.NewSheet(s.name)
		}
		if err != nil {
			return nil, fmt.Errorf("api: xlsx: %w", err)
		}
		sw, err := f.NewStreamWriter(s.name)
		if err != nil {
			return nil, fmt.Errorf("api: xlsx: %w", err)
		}
		for r, rec := range s.rows {
			cells := make([]any, len(rec))
			for c, v := range rec {
				cells[c] = v
				if r == 0 || s.numFrom < 0 || c < s.numFrom || v == "" {
					continue
				}
				if n, err := strconv.Atoi(v); err == nil {
					cells[c] = n
				} else if x, err := strconv.ParseFloat(v, 64); err == nil {
					cells[c] = x
				}
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := sw.SetRow(cell, cells); err != nil {
				return nil, fmt.Errorf("api: xlsx: %w", err)
			}
		}
		if err := sw.Flush(); err != nil {
			return nil, fmt.Errorf("api: xlsx: %w", err)
		}
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("api: xlsx: %w", err)
	}
	return b.Bytes(), nil
}
