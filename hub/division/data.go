package division

import "fmt"

// townSpec is one subdistrict or town: its 3-digit number within the
// district, its name and its number of work areas (larger towns have more).
type townSpec struct {
	number    string
	name      string
	workAreas int
}

// townSpecs are the 18 subdistricts and towns in code order. The work-area
// counts total 75.
var townSpecs = []townSpec{
	{"001", "明水街道", 7},
	{"002", "双山街道", 6},
	{"003", "枣园街道", 5},
	{"004", "龙山街道", 4},
	{"005", "埠村街道", 4},
	{"006", "圣井街道", 5},
	{"007", "普集街道", 4},
	{"008", "绣惠街道", 5},
	{"009", "相公庄街道", 5},
	{"010", "文祖街道", 4},
	{"011", "官庄街道", 4},
	{"012", "高官寨街道", 3},
	{"013", "白云湖街道", 3},
	{"014", "宁家埠街道", 3},
	{"015", "曹范街道", 3},
	{"100", "刁镇", 5},
	{"101", "垛庄镇", 2},
	{"102", "黄河镇", 3},
}

// villagesPerWorkArea is the number of villages in every work area.
const villagesPerWorkArea = 7

// firstVillageNumber is the 3-digit number of a town's first village (the
// 村委会 range is 200-399).
const firstVillageNumber = 201

// Syllables for village names. Common Shandong village names combine a
// direction or size, a family name and a landscape or settlement word.
var (
	nameDirections = []string{"东", "西", "南", "北", "前", "后", "上", "下", "大", "小"}
	nameSurnames   = []string{
		"王", "李", "张", "刘", "孟", "焦", "陈", "赵", "杨", "周", "吴", "徐", "孙", "马",
		"朱", "胡", "郭", "高", "韩", "冯", "曹", "田", "董", "于", "蒋", "杜", "吕", "丁",
		"任", "姜", "崔", "范", "石", "贾", "袁", "魏", "宁", "谢", "邢", "郑", "宋", "翟",
		"牛", "阎", "毕", "房", "窦", "侯", "鲍", "苏",
	}
	nameFeatures = []string{"庄", "峪", "河", "店", "官", "屯", "营", "寨", "楼", "桥", "泉", "坡", "埠", "洼"}
)

// splitmix64 is a fixed, well-mixed hash so the generated names never change
// with the Go version or a seed.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// villageName returns the candidate name number attempt for a town.
func villageName(town, attempt int) string {
	h := splitmix64(uint64(town)<<32 | uint64(attempt))
	pick := func(list []string) string {
		s := list[h%uint64(len(list))]
		h /= uint64(len(list))
		return s
	}
	pattern := h % 5
	h /= 5
	switch pattern {
	case 0: // 东陈村
		return pick(nameDirections) + pick(nameSurnames) + "村"
	case 1: // 王家庄村
		return pick(nameSurnames) + "家" + pick(nameFeatures) + "村"
	case 2: // 西王家村
		return pick(nameDirections) + pick(nameSurnames) + "家村"
	case 3: // 孟峪村
		return pick(nameSurnames) + pick(nameFeatures) + "村"
	default: // 南焦庄村
		return pick(nameDirections) + pick(nameSurnames) + pick(nameFeatures) + "村"
	}
}

// villageNames returns n names unique within the town, deterministically.
func villageNames(town, n int) []string {
	seen := make(map[string]bool, n)
	names := make([]string, 0, n)
	for attempt := 0; len(names) < n; attempt++ {
		name := villageName(town, attempt)
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	return names
}

// build constructs the tree. It panics if the fixed data breaks an invariant
// (caught by the tests, never at run time).
func build() *tree {
	t := &tree{byCode: map[string]Division{}, children: map[string][]Division{}}
	add := func(d Division) {
		if _, dup := t.byCode[d.Code]; dup {
			panic("division: duplicate code " + d.Code)
		}
		t.byCode[d.Code] = d
		if d.Parent != "" {
			t.children[d.Parent] = append(t.children[d.Parent], d)
		}
	}
	add(Division{Code: DistrictCode, Name: DistrictName, Level: LevelDistrict})
	for ti, ts := range townSpecs {
		prefix := DistrictCode + ts.number // the town's first nine digits
		town := Division{Code: prefix + "000", Name: ts.name, Level: LevelTown, Parent: DistrictCode}
		town.Town = town.Code
		add(town)
		t.towns = append(t.towns, town)
		names := villageNames(ti, ts.workAreas*villagesPerWorkArea)
		for a := range ts.workAreas {
			central := names[a*villagesPerWorkArea]
			wa := Division{
				Code:   fmt.Sprintf("%s9%02d", prefix, a+1),
				Name:   central[:len(central)-len("村")] + "工作区",
				Level:  LevelWorkArea,
				Parent: town.Code,
				Town:   town.Code,
			}
			add(wa)
			t.workAreas = append(t.workAreas, wa)
			for v := range villagesPerWorkArea {
				i := a*villagesPerWorkArea + v
				village := Division{
					Code:   fmt.Sprintf("%s%03d", prefix, firstVillageNumber+i),
					Name:   names[i],
					Level:  LevelVillage,
					Parent: wa.Code,
					Town:   town.Code,
				}
				add(village)
				t.villages = append(t.villages, village)
			}
		}
	}
	return t
}
