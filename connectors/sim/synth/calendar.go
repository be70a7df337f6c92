package synth

// Day numbers (days since 1970-01-01) make date arithmetic cheap during generation; the
// conversions are Howard Hinnant's proleptic Gregorian algorithms.

// daysFromCivil returns the day number of y-m-d.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays returns the calendar date of day number z.
func civilFromDays(z int) (y, m, d int) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// dateOfDay converts a day number to a Date.
func dateOfDay(z int) Date {
	y, m, d := civilFromDays(z)
	return Date(y*10000 + m*100 + d)
}

// day converts d to a day number; d must not be zero.
func (d Date) day() int { return daysFromCivil(d.Year(), d.Month(), d.Day()) }

// addYears returns the same calendar day n years later (29 February becomes 28 February).
func (d Date) addYears(n int) Date {
	y, m, dd := d.Year()+n, d.Month(), d.Day()
	if m == 2 && dd == 29 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		dd = 28
	}
	return Date(y*10000 + m*100 + dd)
}
