package sim

// The province platform (省一体化大数据平台): signed POST queries, pinyin-abbreviated fields,
// a {"code","msg","data"} envelope. Wire format: API.md section 1.

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"sanmian/connectors/sim/synth"
	"sanmian/hub/division"
)

const (
	provinceMaxBody    = 1 << 20
	provinceMaxIDs     = 50
	provinceMaxRkjc    = 50
	provinceMaxDzzz    = 100
	provinceMaxQsgx    = 100
	provinceWindow     = 300 * time.Second
	provinceMaxNonces  = 100_000
	provinceMinNonce   = 16
	provinceMaxNonce   = 64
	provinceAddrPrefix = "山东省济南市"
)

type province struct {
	s       *Server
	data    *synth.District
	secrets map[string][]byte // app key → secret
	nonces  *nonceStore
}

func newProvince(data *synth.District, creds Credentials, seed int64, faults FaultConfig, log *slog.Logger) *Server {
	pv := &province{
		data:    data,
		secrets: map[string][]byte{creds.ProvinceAppKey: []byte(creds.ProvinceSecret)},
		nonces:  newNonceStore(provinceMaxNonces),
	}
	pv.s = newServer("province", seed, faults, provinceFail, log)
	pv.s.handle("/gateway/api/rkjc/query", "POST /gateway/api/rkjc/query", pv.endpoint(pv.rkjc))
	pv.s.handle("/gateway/api/dzzz/query", "POST /gateway/api/dzzz/query", pv.endpoint(pv.dzzz))
	pv.s.handle("/gateway/api/qsgx/query", "POST /gateway/api/qsgx/query", pv.endpoint(pv.qsgx))
	pv.registerFeed()
	pv.s.handle("/", "other", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		provinceError(w, http.StatusNotFound, "4041", "接口不存在", nil)
	}))
	return pv.s
}

// provinceEnvelope is every province answer.
type provinceEnvelope struct {
	Code string `json:"code"`
	Msg  string `json:"msg"`
	Data any    `json:"data"`
}

func provinceError(w http.ResponseWriter, status int, code, msg string, data any) {
	writeJSON(w, status, provinceEnvelope{Code: code, Msg: msg, Data: data})
}

func provinceOK(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, provinceEnvelope{Code: "0000", Msg: "成功", Data: data})
}

func provinceFail(w http.ResponseWriter, status int, _ int) {
	switch status {
	case http.StatusTooManyRequests:
		provinceError(w, status, "4290", "请求过于频繁", nil)
	case http.StatusNotFound:
		provinceError(w, status, "4041", "接口不存在", nil)
	case http.StatusRequestEntityTooLarge:
		provinceError(w, status, "4130", "请求体过大", nil)
	case http.StatusBadGateway:
		provinceError(w, status, "5020", "上游服务异常", nil)
	case http.StatusServiceUnavailable:
		provinceError(w, status, "5030", "服务不可用", nil)
	default:
		provinceError(w, status, "5000", "系统内部错误", nil)
	}
}

// endpoint checks method, size and signature, then calls h with the raw body.
func (pv *province) endpoint(h func(w http.ResponseWriter, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			provinceError(w, http.StatusMethodNotAllowed, "4050", "请求方法不支持", nil)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, provinceMaxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				provinceError(w, http.StatusRequestEntityTooLarge, "4130", "请求体过大", nil)
				return
			}
			provinceError(w, http.StatusBadRequest, "4000", "请求参数错误", nil)
			return
		}
		if code, msg := pv.verify(r, body, time.Now()); code != "" {
			provinceError(w, http.StatusUnauthorized, code, msg, nil)
			return
		}
		h(w, body)
	})
}

// verify checks the app key, timestamp, signature and nonce of a request; it returns the
// refusal code and message, or "" when the request is authentic.
func (pv *province) verify(r *http.Request, body []byte, now time.Time) (string, string) {
	key := r.Header.Get("X-App-Key")
	ts := r.Header.Get("X-Timestamp")
	nonce := r.Header.Get("X-Nonce")
	sig := r.Header.Get("X-Signature")
	if key == "" || ts == "" || sig == "" || len(nonce) < provinceMinNonce || len(nonce) > provinceMaxNonce {
		return "4011", "缺少认证信息"
	}
	secret, ok := pv.secrets[key]
	if !ok {
		return "4012", "应用不存在"
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "4013", "时间戳无效"
	}
	at := time.UnixMilli(ms)
	if d := now.Sub(at); d > provinceWindow || d < -provinceWindow {
		return "4013", "时间戳无效"
	}
	want := provinceSignature(secret, r.Method, r.URL.Path, ts, nonce, body)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(sig))) {
		return "4010", "签名无效"
	}
	if !pv.nonces.use(key+"\x00"+nonce, at.Add(provinceWindow), now) {
		return "4014", "重复请求"
	}
	return "", ""
}

// provinceSignature returns the lowercase hex X-Signature of a province request (API.md
// section 1): HMAC-SHA256(secret, METHOD\nPATH\nTIMESTAMP\nNONCE\nhex(sha256(body))).
// Deliberately unexported: connectors implement their own from the documentation.
func provinceSignature(secret []byte, method, path, timestamp, nonce string, body []byte) string {
	bh := sha256.Sum256(body)
	m := hmac.New(sha256.New, secret)
	io.WriteString(m, strings.ToUpper(method)+"\n"+path+"\n"+timestamp+"\n"+nonce+"\n"+hex.EncodeToString(bh[:]))
	return hex.EncodeToString(m.Sum(nil))
}

// nonceStore remembers used nonces until they expire, holding at most max (oldest evicted
// first). Safe for concurrent use.
type nonceStore struct {
	mu    sync.Mutex
	max   int
	seen  map[string]time.Time // nonce → expiry
	order []nonceEntry         // insertion order
}

type nonceEntry struct {
	key string
	exp time.Time
}

func newNonceStore(max int) *nonceStore {
	return &nonceStore{max: max, seen: make(map[string]time.Time)}
}

// use records key until exp and reports whether it was unused (or expired) at now.
func (n *nonceStore) use(key string, exp, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for len(n.order) > 0 && (!n.order[0].exp.After(now) || len(n.seen) >= n.max) {
		e := n.order[0]
		if n.seen[e.key].Equal(e.exp) {
			delete(n.seen, e.key)
		}
		n.order = n.order[1:]
	}
	if e, ok := n.seen[key]; ok && e.After(now) {
		return false
	}
	n.seen[key] = exp
	n.order = append(n.order, nonceEntry{key, exp})
	return true
}

// pagination shared by both queries.
func pageBounds(total, page, size int) (int, int) {
	lo := min((page-1)*size, total)
	hi := min(lo+size, total)
	return lo, hi
}

// dedupe returns ids without repeats, in first-seen order.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

type rkjcRequest struct {
	Sfzh []string `json:"sfzh"`
	Page int      `json:"page"`
	Size int      `json:"size"`
}

type rkjcPerson struct {
	Xm    string `json:"xm"`
	Sfzh  string `json:"sfzh"`
	Xb    string `json:"xb"`
	Mz    string `json:"mz"`
	Csrq  string `json:"csrq"`
	Hjdz  string `json:"hjdz"`
	Hjqh  string `json:"hjqh"`
	Hklx  string `json:"hklx"`
	Hyzk  string `json:"hyzk"`
	Hh    string `json:"hh"`
	Yhzgx string `json:"yhzgx"`
	Swbz  string `json:"swbz"`
	Swrq  string `json:"swrq"`
}

type provincePage struct {
	Total int      `json:"total"`
	Page  int      `json:"page"`
	Size  int      `json:"size"`
	List  any      `json:"list"`
	Wpp   []string `json:"wpp"`
}

// parsePaging applies defaults and limits; ok is false when out of range.
func parsePaging(page, size, maxSize int) (int, int, bool) {
	if page == 0 {
		page = 1
	}
	if size == 0 {
		size = min(50, maxSize)
	}
	return page, size, page >= 1 && size >= 1 && size <= maxSize
}

func (pv *province) rkjc(w http.ResponseWriter, body []byte) {
	var req rkjcRequest
	if err := json.Unmarshal(body, &req); err != nil {
		provinceError(w, http.StatusBadRequest, "4000", "请求参数错误: 请求体不是有效的JSON", nil)
		return
	}
	page, size, ok := parsePaging(req.Page, req.Size, provinceMaxRkjc)
	if !ok {
		provinceError(w, http.StatusBadRequest, "4000", "请求参数错误: page/size 超出范围", nil)
		return
	}
	if len(req.Sfzh) == 0 || len(req.Sfzh) > provinceMaxIDs {
		provinceError(w, http.StatusBadRequest, "4000", "请求参数错误: sfzh 数量须为1-50", nil)
		return
	}
	pv.s.stats.ids(len(req.Sfzh))
	var found []*synth.Person
	wpp := []string{}
	for _, id := range dedupe(req.Sfzh) {
		if p, _, ok := pv.data.PersonByID(id); ok {
			found = append(found, p)
		} else {
			wpp = append(wpp, id)
		}
	}
	if len(found) == 0 {
		provinceError(w, http.StatusNotFound, "4040", "未查询到数据", map[string]any{"wpp": wpp})
		return
	}
	lo, hi := pageBounds(len(found), page, size)
	list := make([]rkjcPerson, 0, hi-lo)
	for _, p := range found[lo:hi] {
		list = append(list, pv.person(p))
	}
	provinceOK(w, provincePage{Total: len(found), Page: page, Size: size, List: list, Wpp: wpp})
}

func (pv *province) person(p *synth.Person) rkjcPerson {
	v := pv.data.HukouVillage(p)
	out := rkjcPerson{
		Xm:    p.Name,
		Sfzh:  p.ID,
		Xb:    "1",
		Mz:    ethnicityCode(p.Ethnicity),
		Csrq:  p.Birth.Compact(),
		Hjdz:  villageAddress(v),
		Hjqh:  v.Code,
		Hklx:  "2",
		Hyzk:  maritalCode(p.Marital),
		Yhzgx: relationCode(p.Relation),
		Swbz:  "0",
	}
	if p.Sex == 'F' {
		out.Xb = "2"
	}
	if p.Agricultural {
		out.Hklx = "1"
	}
	if p.Household >= 0 && int(p.Household) < len(pv.data.Households) {
		out.Hh = pv.data.Households[p.Household].No
	}
	if p.Death != 0 {
		out.Swbz = "1"
		out.Swrq = p.Death.Compact()
	}
	return out
}

// villageAddress is the register address of a village: province, city, district, town, village.
func villageAddress(v division.Division) string {
	town := ""
	if t, ok := division.Lookup(v.Town); ok {
		town = t.Name
	}
	return provinceAddrPrefix + division.DistrictName + town + v.Name
}

// ethnicityCode is the GB 3304-1991 code.
func ethnicityCode(e synth.Ethnicity) string {
	switch e {
	case synth.Hui:
		return "03"
	case synth.Manchu:
		return "11"
	}
	return "01"
}

// maritalCode is the GB/T 2261.2-2003 code.
func maritalCode(m synth.Marital) string {
	switch m {
	case synth.Single:
		return "10"
	case synth.Married:
		return "20"
	case synth.Widowed:
		return "30"
	case synth.Divorced:
		return "40"
	}
	return "90"
}

// relationCode is the GB/T 4761-2008 code of the relation to the household head.
func relationCode(r synth.Relation) string {
	switch r {
	case synth.Head:
		return "02"
	case synth.Spouse:
		return "10"
	case synth.Son:
		return "20"
	case synth.Daughter:
		return "30"
	case synth.Father:
		return "51"
	case synth.Mother:
		return "52"
	case synth.Grandson:
		return "41"
	case synth.Granddaughter:
		return "42"
	case synth.DaughterInLaw:
		return "28"
	case synth.SonInLaw:
		return "38"
	}
	return "99"
}

type dzzzRequest struct {
	Czztdm []string `json:"czztdm"`
	Zzlxdm []string `json:"zzlxdm"`
	Zzlx   []string `json:"zzlx"`
	Page   int      `json:"page"`
	Size   int      `json:"size"`
}

type dzzzLicence struct {
	Zzbs   string            `json:"zzbs"`
	Zzlxdm string            `json:"zzlxdm"`
	Zzlx   string            `json:"zzlx"`
	Zzbh   string            `json:"zzbh"`
	Czzt   string            `json:"czzt"`
	Czztdm string            `json:"czztdm"`
	Fzjg   string            `json:"fzjg"`
	Fzjgdm string            `json:"fzjgdm"`
	Fzrq   string            `json:"fzrq"`
	Yxqz   string            `json:"yxqz"`
	Zzzt   string            `json:"zzzt"`
	Kzxx   map[string]string `json:"kzxx"`
}

func (pv *province) dzzz(w http.ResponseWriter, body []byte) {
	var req dzzzRequest
	if err := json.Unmarshal(body, &req); err != nil {
		provinceError(w, http.StatusBadRequest, "4000", "请求参数错误: 请求体不是有效的JSON", nil)
		return
	}
	page, size, ok := parsePaging(req.Page, req.Size, provinceMaxDzzz)
	if !ok {
		provinceError(w, http.StatusBadRequest, "4000", "请求参数错误: page/size 超出范围", nil)
		return
	}
	if len(req.Czztdm) == 0 || len(req.Czztdm) > provinceMaxIDs {
		provinceError(w, http.StatusBadRequest, "4000", "请求参数错误: czztdm 数量须为1-50", nil)
		return
	}
	pv.s.stats.ids(len(req.Czztdm))
	var list []dzzzLicence
	wpp := []string{}
	anyFound := false
	for _, id := range dedupe(req.Czztdm) {
		p, i, ok := pv.data.PersonByID(id)
		if !ok {
			wpp = append(wpp, id)
			continue
		}
		anyFound = true
		lics := pv.data.Licences(i)
		slices.SortStableFunc(lics, func(a, b synth.Licence) int {
			return cmp.Or(cmp.Compare(a.Issued, b.Issued), cmp.Compare(a.ID, b.ID))
		})
		for _, l := range lics {
			out := pv.licence(p, l)
			if len(req.Zzlxdm) > 0 && !slices.Contains(req.Zzlxdm, out.Zzlxdm) {
				continue
			}
			if len(req.Zzlx) > 0 && !slices.Contains(req.Zzlx, out.Zzlx) {
				continue
			}
			list = append(list, out)
		}
	}
	if !anyFound {
		provinceError(w, http.StatusNotFound, "4040", "未查询到数据", map[string]any{"wpp": wpp})
		return
	}
	lo, hi := pageBounds(len(list), page, size)
	provinceOK(w, provincePage{Total: len(list), Page: page, Size: size, List: append([]dzzzLicence{}, list[lo:hi]...), Wpp: wpp})
}

func (pv *province) licence(holder *synth.Person, l synth.Licence) dzzzLicence {
	out := dzzzLicence{
		Zzbs:   l.ID,
		Zzlxdm: licenceTypeCode(l),
		Zzlx:   l.TypeName,
		Zzbh:   l.Number,
		Czzt:   holder.Name,
		Czztdm: holder.ID,
		Fzjg:   l.Issuer.Name,
		Fzjgdm: l.Issuer.USCC,
		Fzrq:   l.Issued.Compact(),
		Yxqz:   "长期",
		Zzzt:   "01",
		Kzxx:   map[string]string{},
	}
	if l.ValidUntil != synth.LongTerm {
		out.Yxqz = l.ValidUntil.Compact()
	}
	switch l.Status {
	case synth.LicenceExpired:
		out.Zzzt = "02"
	case synth.LicenceRevoked:
		out.Zzzt = "03"
	}
	for k, v := range l.Attrs {
		switch k {
		case synth.AttrDisabilityCategory:
			out.Kzxx["cjlb"], out.Kzxx["cjlbmc"] = disabilityCode(v)
		case synth.AttrDisabilityGrade:
			out.Kzxx["cjdj"] = v
		case synth.AttrSpouseID:
			out.Kzxx["pofh"] = v
			if sp, _, ok := pv.data.PersonByID(v); ok {
				out.Kzxx["poxm"] = sp.Name
			}
		case synth.AttrChildID:
			out.Kzxx["znsfzh"] = v
			if c, _, ok := pv.data.PersonByID(v); ok {
				out.Kzxx["znxm"] = c.Name
			}
		case synth.AttrMotherID:
			out.Kzxx["mqsfzh"] = v
		case synth.AttrFatherID:
			out.Kzxx["fqsfzh"] = v
		case synth.AttrDeathDate:
			out.Kzxx["swrq"] = strings.ReplaceAll(v, "-", "")
		case synth.AttrAddress:
			out.Kzxx["dz"] = v
		case synth.AttrAreaM2:
			out.Kzxx["mj"] = v
		case synth.AttrHouseholdNo:
			out.Kzxx["hh"] = v
		default:
			out.Kzxx[k] = v
		}
	}
	return out
}

// licenceTypeCode is the GB/T 36904 type code of l: from the generator's catalogue, else the
// type-code field of the identifier (1.2.156.3005.2.<type code>.<issuer USCC>.<number>...).
func licenceTypeCode(l synth.Licence) string {
	if t, ok := synth.LicenceTypes()[l.Type]; ok && t.TypeCode != "" {
		return t.TypeCode
	}
	if parts := strings.Split(l.ID, "."); len(parts) >= 10 && parts[5] != "" {
		return parts[5]
	}
	return ""
}

// disabilityCode maps a synth category code to the disability-certificate category code
// (1 视力 … 7 多重) and its Chinese name.
func disabilityCode(cat string) (string, string) {
	for d := synth.Visual; d <= synth.Multiple; d++ {
		if d.String() == cat {
			return strconv.Itoa(int(d)), d.Chinese()
		}
	}
	return "", cat
}

type qsgxRequest struct {
	Sfzh []string `json:"sfzh"`
	Gxlb string   `json:"gxlb"` // "zn" children, "fm" parents, "" both
	Page int      `json:"page"`
	Size int      `json:"size"`
}

// qsgxRelative is one kinship row: a relative of the person asked about.
type qsgxRelative struct {
	Sfzh    string `json:"sfzh"`    // the person asked about
	Gxrsfzh string `json:"gxrsfzh"` // 关系人身份证号
	Gxrxm   string `json:"gxrxm"`   // 关系人姓名
	Gxrxb   string `json:"gxrxb"`   // 关系人性别 "1" / "2"
	Gxrcsrq string `json:"gxrcsrq"` // 关系人出生日期 YYYYMMDD
	Gx      string `json:"gx"`      // the relative is the person's: "20" 子, "30" 女, "51" 父亲, "52" 母亲 (GB/T 4761)
	Sjly    string `json:"sjly"`    // 数据来源: "01" 户籍登记, "02" 出生医学证明
	Zzbs    string `json:"zzbs"`    // the birth certificate's identifier when sjly is "02", else ""
	Mqsfzh  string `json:"mqsfzh"`  // child rows: the child's mother, "" when not known
	Fqsfzh  string `json:"fqsfzh"`  // child rows: the child's father, "" when not known
}

// qsgx answers kinship queries (亲属关系查询): the children and/or parents of each person, from
// the population base's parent links, whichever household they live in.
func (pv *province) qsgx(w http.ResponseWriter, body []byte) {
	var req qsgxRequest
	if err := json.Unmarshal(body, &req); err != nil {
		provinceError(w, http.StatusBadRequest, "4000", "请求参数错误: 请求体不是有效的JSON", nil)
		return
	}
	page, size, ok := parsePaging(req.Page, req.Size, provinceMaxQsgx)
	if !ok {
		provinceError(w, http.StatusBadRequest, "4000", "请求参数错误: page/size 超出范围", nil)
		return
	}
	if len(req.Sfzh) == 0 || len(req.Sfzh) > provinceMaxIDs {
		provinceError(w, http.StatusBadRequest, "4000", "请求参数错误: sfzh 数量须为1-50", nil)
		return
	}
	if req.Gxlb != "" && req.Gxlb != "zn" && req.Gxlb != "fm" {
		provinceError(w, http.StatusBadRequest, "4000", "请求参数错误: gxlb 须为 zn 或 fm", nil)
		return
	}
	pv.s.stats.ids(len(req.Sfzh))
	list := []qsgxRelative{}
	wpp := []string{}
	anyFound := false
	for _, id := range dedupe(req.Sfzh) {
		p, i, ok := pv.data.PersonByID(id)
		if !ok {
			wpp = append(wpp, id)
			continue
		}
		anyFound = true
		if req.Gxlb != "fm" {
			for _, c := range pv.data.Children(i) {
				list = append(list, pv.relative(p, c, true))
			}
		}
		if req.Gxlb != "zn" {
			for _, par := range [2]int32{p.Father, p.Mother} {
				if par >= 0 {
					list = append(list, pv.relative(p, par, false))
				}
			}
		}
	}
	if !anyFound {
		provinceError(w, http.StatusNotFound, "4040", "未查询到数据", map[string]any{"wpp": wpp})
		return
	}
	lo, hi := pageBounds(len(list), page, size)
	provinceOK(w, provincePage{Total: len(list), Page: page, Size: size, List: append([]qsgxRelative{}, list[lo:hi]...), Wpp: wpp})
}

// relative is the kinship row of relative r (a person index) of p; child tells whether r is
// p's child (else p's parent).
func (pv *province) relative(p *synth.Person, r int32, child bool) qsgxRelative {
	rp := &pv.data.Persons[r]
	out := qsgxRelative{Sfzh: p.ID, Gxrsfzh: rp.ID, Gxrxm: rp.Name, Gxrxb: "1", Gxrcsrq: rp.Birth.Compact(), Sjly: "01"}
	if rp.Sex == 'F' {
		out.Gxrxb = "2"
	}
	subject := rp // whose birth certificate links the two
	switch {
	case child && rp.Sex == 'F':
		out.Gx = "30"
	case child:
		out.Gx = "20"
	case rp.Sex == 'F':
		out.Gx, subject = "52", p
	default:
		out.Gx, subject = "51", p
	}
	if child {
		if rp.Mother >= 0 {
			out.Mqsfzh = pv.data.Persons[rp.Mother].ID
		}
		if rp.Father >= 0 {
			out.Fqsfzh = pv.data.Persons[rp.Father].ID
		}
	}
	si, _ := pv.index(subject)
	for _, l := range pv.data.Licences(si) {
		if l.Type == synth.LicenceBirth {
			out.Sjly, out.Zzbs = "02", l.ID
		}
	}
	return out
}

// index is the person index of p.
func (pv *province) index(p *synth.Person) (int32, bool) {
	_, i, ok := pv.data.PersonByID(p.ID)
	return i, ok
}
