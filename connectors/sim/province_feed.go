package sim

// The province's bulk backflow feed (数据回流): the deaths and e-licences the province holds
// for the district's residents, one entry per person and change, paged by an opaque cursor.
// Same vendor style as the queries (signed POST, pinyin fields, {"code","msg","data"}).
// Wire format: API.md section 1, "POST /gateway/api/sjhl/query".

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"sanmian/connectors/sim/synth"
)

const (
	provinceFeedDefault = 1000
	provinceFeedMax     = 5000
	provinceFeedPrefix  = "HL"
)

// backflowTypes are the licence types the backflow feed carries.
var backflowTypes = map[string]bool{
	synth.LicenceDisability: true, synth.LicenceOnlyChildHonour: true, synth.LicenceBirth: true,
	synth.LicenceMarriage: true, synth.LicenceDivorce: true, synth.LicenceDeath: true,
}

// registerFeed adds the backflow endpoint to the province server.
func (pv *province) registerFeed() {
	pv.s.handle("/gateway/api/sjhl/query", "POST /gateway/api/sjhl/query", pv.endpoint(pv.sjhl))
}

type sjhlRequest struct {
	Yb   string `json:"yb"`   // 游标: "" from the beginning
	Size int    `json:"size"` // 每页条数
}

// sjhlPerson is the person part of a backflow entry (人员信息).
type sjhlPerson struct {
	Hklx string `json:"hklx"` // 户口类型 1 农业 2 非农业
	Hjqh string `json:"hjqh"` // 户籍区划 (12-digit village code)
	Swbz string `json:"swbz"` // 死亡标志 0/1
	Swrq string `json:"swrq"` // 死亡日期 YYYYMMDD or ""
}

type sjhlEntry struct {
	Xh   uint64        `json:"xh"`   // 序号, strictly increasing
	Czlx string        `json:"czlx"` // 操作类型 U 新增或更新, D 删除 (no longer backflowed)
	Sfzh string        `json:"sfzh"` // 身份证号
	Gxsj string        `json:"gxsj"` // 更新时间 YYYYMMDDhhmmss
	Ryxx *sjhlPerson   `json:"ryxx"` // null on D
	Zzlb []dzzzLicence `json:"zzlb"` // 证照列表 (backflow types only), [] on D
}

type sjhlPage struct {
	List  []sjhlEntry `json:"list"`
	Xyyb  string      `json:"xyyb"`  // 下一游标
	Sfyhx string      `json:"sfyhx"` // 是否有后续 1/0
}

func encodeFeedCursor(prefix string, seq uint64) string {
	return prefix + strconv.FormatUint(seq, 36)
}

func decodeFeedCursor(prefix, c string) (uint64, bool) {
	if c == "" {
		return 0, true
	}
	rest, ok := strings.CutPrefix(c, prefix)
	if !ok || rest == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 36, 64)
	return n, err == nil
}

func (pv *province) sjhl(w http.ResponseWriter, body []byte) {
	var req sjhlRequest
	if err := json.Unmarshal(body, &req); err != nil {
		provinceError(w, http.StatusBadRequest, "4000", "请求参数错误: 请求体不是有效的JSON", nil)
		return
	}
	size := req.Size
	if size == 0 {
		size = provinceFeedDefault
	}
	if size < 1 || size > provinceFeedMax {
		provinceError(w, http.StatusBadRequest, "4000", "请求参数错误: size 须为1-5000", nil)
		return
	}
	after, ok := decodeFeedCursor(provinceFeedPrefix, req.Yb)
	if !ok || after > pv.data.LastSeq() {
		provinceError(w, http.StatusBadRequest, "4001", "游标无效", nil)
		return
	}
	chs := pv.data.Changes(after, size+1)
	more := len(chs) > size
	if more {
		chs = chs[:size]
	}
	pv.s.stats.ids(len(chs))
	gxsj := pv.data.Config.Reference.In(districtZone).Format("20060102150405")
	out := sjhlPage{List: make([]sjhlEntry, 0, len(chs)), Sfyhx: "0"}
	if more {
		out.Sfyhx = "1"
	}
	last := after
	for _, c := range chs {
		p := &pv.data.Persons[c.Person]
		e := sjhlEntry{Xh: c.Seq, Czlx: "U", Sfzh: p.ID, Gxsj: gxsj, Zzlb: []dzzzLicence{}}
		if c.Op == synth.OpDelete {
			e.Czlx = "D"
		} else {
			e.Ryxx = pv.backflowPerson(p)
			for _, l := range pv.data.Licences(c.Person) {
				if backflowTypes[l.Type] {
					e.Zzlb = append(e.Zzlb, pv.licence(p, l))
				}
			}
		}
		out.List = append(out.List, e)
		last = c.Seq
	}
	out.Xyyb = encodeFeedCursor(provinceFeedPrefix, last)
	provinceOK(w, out)
}

func (pv *province) backflowPerson(p *synth.Person) *sjhlPerson {
	out := &sjhlPerson{Hklx: "2", Hjqh: pv.data.HukouVillage(p).Code, Swbz: "0"}
	if p.Agricultural {
		out.Hklx = "1"
	}
	if p.Death != 0 {
		out.Swbz, out.Swrq = "1", p.Death.Compact()
	}
	return out
}
