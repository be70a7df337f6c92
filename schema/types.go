package schema

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	"sanmian/hub/evidence"
	"sanmian/hub/ident"
	"sanmian/hub/service"
	"sanmian/hub/store"
)

// listCost is the multiplier the complexity limit assumes for lists that take no `first`
// argument (household members, licences, form fields, ...): their length is bounded by the
// data, not by the client, so an estimate is enough.
const listCost = 10

// costHint tells the complexity analysis how a field multiplies the cost of its selection.
type costHint struct {
	paged bool // takes first: its selection costs first x
	list  bool // an unpaged list: its selection costs listCost x
}

// fieldCosts maps "Type.field" to its hint; filled while the schema is built.
type fieldCosts map[string]costHint

// builder holds the types while the schema is built.
type builder struct {
	costs fieldCosts

	sex, hukou, platform, licenceType, licenceStatus, appStatus, reviewAction, reviewLevel,
	permitStatus, divisionLevel, contactStatus *graphql.Enum

	pageInfo, division, item, itemField, provenance, conflict, conflictValue, issuer, attr,
	licence, enrolment, person, member, household, decision, decisionReplay, reason, formField, awaiting,
	review, application, permit, dataUse, finding, contact, resolution *graphql.Object

	itemConn, appConn, dataUseConn, findingConn *graphql.Object
}

func enum(name, desc string, values ...[3]string) *graphql.Enum {
	m := graphql.EnumValueConfigMap{}
	for _, v := range values {
		m[v[0]] = &graphql.EnumValueConfig{Value: v[1], Description: v[2]}
	}
	return graphql.NewEnum(graphql.EnumConfig{Name: name, Description: desc, Values: m})
}

func arg(t graphql.Input, desc string) *graphql.ArgumentConfig {
	return &graphql.ArgumentConfig{Type: t, Description: desc}
}

func nn(t graphql.Type) *graphql.NonNull { return graphql.NewNonNull(t) }

func list(t graphql.Type) *graphql.NonNull { return nn(graphql.NewList(nn(t))) }

var (
	tString   = graphql.String
	tInt      = graphql.Int
	tBoolean  = graphql.Boolean
	tBool     = graphql.Boolean
	tID       = graphql.ID
	tDateTime = graphql.DateTime
)

// purposeArg is the argument every person lookup requires.
func purposeArg() *graphql.ArgumentConfig {
	return arg(nn(tString), "Purpose of the lookup (查询目的), e.g. the item being handled; recorded in the resident's data-use record and the audit log.")
}

func pageArgsConfig(what string) graphql.FieldConfigArgument {
	return graphql.FieldConfigArgument{
		"first": &graphql.ArgumentConfig{Type: tInt, DefaultValue: defaultFirst, Description: "Number of " + what + " to return, at most 100 (每页条数，最多 100)."},
		"after": arg(tString, "Opaque cursor: return the "+what+" after this edge (分页游标)."),
	}
}

// connection builds a Relay-style connection type and its edge type for node.
func (b *builder) connection(node *graphql.Object, what, zh string) *graphql.Object {
	edge := graphql.NewObject(graphql.ObjectConfig{
		Name:        node.Name() + "Edge",
		Description: "One " + what + " in a page, with its cursor (" + zh + "分页条目).",
		Fields: graphql.Fields{
			"cursor": {Type: nn(tString), Description: "Opaque cursor of this edge, for `after` (游标).", Resolve: get(func(e edgeNode) any { return e.cursor })},
			"node":   {Type: nn(node), Description: "The " + what + " (" + zh + ").", Resolve: get(func(e edgeNode) any { return e.node })},
		},
	})
	conn := graphql.NewObject(graphql.ObjectConfig{
		Name:        node.Name() + "Connection",
		Description: "A page of " + what + "s with cursors (" + zh + "分页列表, Relay connection).",
		Fields: graphql.Fields{
			"edges":    {Type: list(edge), Description: "The " + what + "s of this page with their cursors (本页条目).", Resolve: get(func(c connNode) any { return c.edges })},
			"pageInfo": {Type: nn(b.pageInfo), Description: "Where this page sits in the list (分页信息).", Resolve: get(func(c connNode) any { return c })},
		},
	})
	b.costs[conn.Name()+".edges"] = costHint{} // the paged field carries the multiplier
	return conn
}

// build constructs the whole schema.
func build() (graphql.Schema, fieldCosts, error) {
	b := &builder{costs: fieldCosts{}}
	b.enums()
	b.objects()
	query := b.query()
	mutation := b.mutation()
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: query, Mutation: mutation})
	if err != nil {
		return graphql.Schema{}, nil, err
	}
	// Record list hints from the finished types: paged fields take `first`, other lists cost listCost.
	for name, t := range s.TypeMap() {
		obj, ok := t.(*graphql.Object)
		if !ok || strings.HasPrefix(name, "__") {
			continue
		}
		for fname, f := range obj.Fields() {
			key := name + "." + fname
			if _, set := b.costs[key]; set {
				continue
			}
			hasFirst := false
			for _, a := range f.Args {
				if a.Name() == "first" {
					hasFirst = true
				}
			}
			switch {
			case hasFirst:
				b.costs[key] = costHint{paged: true}
			case isList(f.Type):
				b.costs[key] = costHint{list: true}
			}
		}
	}
	return s, b.costs, nil
}

func isList(t graphql.Type) bool {
	if n, ok := t.(*graphql.NonNull); ok {
		t = n.OfType
	}
	_, ok := t.(*graphql.List)
	return ok
}

func (b *builder) enums() {
	b.contactStatus = enum("ContactStatus", "What came of contacting a worklist candidate (联系结果).",
		[3]string{"CONTACTED", "contacted", "Reached and informed (已联系)."},
		[3]string{"UNREACHABLE", "unreachable", "Could not be reached (联系不上)."},
		[3]string{"DECLINED", "declined", "Reached; does not want to apply (本人放弃)."},
		[3]string{"APPLIED", "applied", "An application was made (已申请)."})
	b.sex = enum("Sex", "Sex as recorded on the population register (性别).",
		[3]string{"MALE", "M", "Male (男)."}, [3]string{"FEMALE", "F", "Female (女)."})
	b.hukou = enum("HukouType", "Household registration type (户口性质).",
		[3]string{"AGRICULTURAL", evidence.HukouAgricultural, "Agricultural hukou (农业户口)."},
		[3]string{"NON_AGRICULTURAL", evidence.HukouNonAgricultural, "Non-agricultural hukou (非农业户口)."})
	b.platform = enum("Platform", "A data platform the hub pulls evidence from (数据平台).",
		[3]string{"PROVINCE", string(evidence.Province), "Provincial integrated big-data platform (省一体化大数据平台): population base data and e-licences."},
		[3]string{"CITY", string(evidence.City), "City big-data platform (市大数据平台): social insurance and employment."},
		[3]string{"DISTRICT", string(evidence.District), "District data-element platform (区数据要素融合赋能平台): households, rolls, land."},
		[3]string{"POLICY", "policy", "Derived by the policy from the evidence (政策计算), e.g. an allowance tier."},
		[3]string{"COUNTER", "counter", "Entered by hand at the service counter (窗口录入), for values no platform holds."})
	b.licenceType = enum("LicenceType", "Type of an e-licence (电子证照类型).",
		[3]string{"ID_CARD", "id_card", "Resident identity card (居民身份证)."},
		[3]string{"HOUSEHOLD_REGISTER", "household_register", "Household register (户口簿)."},
		[3]string{"MARRIAGE", "marriage", "Marriage certificate (结婚证)."},
		[3]string{"DIVORCE", "divorce", "Divorce certificate (离婚证)."},
		[3]string{"DISABILITY", "disability", "Disability certificate (残疾人证), with category and grade 1-4."},
		[3]string{"ONLY_CHILD_HONOUR", "only_child_honour", "Only-child parents' honour certificate (独生子女父母光荣证)."},
		[3]string{"BIRTH", "birth", "Birth medical certificate (出生医学证明)."},
		[3]string{"DEATH", "death", "Death certificate (死亡证明)."},
		[3]string{"REAL_ESTATE", "real_estate", "Real-estate title certificate (不动产权证书)."})
	b.licenceStatus = enum("LicenceStatus", "Status of an e-licence (证照状态).",
		[3]string{"VALID", "valid", "Valid (有效)."}, [3]string{"EXPIRED", "expired", "Expired (过期)."}, [3]string{"REVOKED", "revoked", "Revoked (注销)."})
	b.appStatus = enum("ApplicationStatus", "Status of an application (申请状态).",
		[3]string{"DRAFT", "draft", "Pre-filled, awaiting the applicant's confirmation (草稿)."},
		[3]string{"CONFIRMED", "confirmed", "Confirmed and signed by the applicant (已确认)."},
		[3]string{"IN_REVIEW", "in_review", "Awaiting review at a level (审核中)."},
		[3]string{"APPROVED", "approved", "Approved; a permit was issued (已批准)."},
		[3]string{"REJECTED", "rejected", "Rejected (已驳回)."},
		[3]string{"RETURNED", "returned", "Returned to the applicant for correction (已退回)."})
	b.reviewAction = enum("ReviewAction", "A reviewer's action (审核操作).",
		[3]string{"APPROVE", "approve", "Approve and pass to the next level (同意)."},
		[3]string{"REJECT", "reject", "Reject the application (驳回)."},
		[3]string{"RETURN", "return", "Return to the applicant for correction (退回)."})
	b.reviewLevel = enum("ReviewLevel", "A review level (审核层级).",
		[3]string{"VILLAGE", "village", "Village committee (村级)."},
		[3]string{"WORK_AREA", "work_area", "Party-building work area (党建工作区)."},
		[3]string{"TOWN", "town", "Town or subdistrict (镇街)."})
	b.permitStatus = enum("PermitStatus", "Status of a permit (批准文书状态).",
		[3]string{"ACTIVE", "active", "Active (有效)."}, [3]string{"REVOKED", "revoked", "Revoked (已撤销)."})
	b.divisionLevel = enum("DivisionLevel", "Level of an administrative division (区划层级).",
		[3]string{"DISTRICT", "district", "District (区)."},
		[3]string{"TOWN", "town", "Town or subdistrict (镇/街道)."},
		[3]string{"WORK_AREA", "work_area", "Party-building work area (党建工作区)."},
		[3]string{"VILLAGE", "village", "Administrative village (行政村)."})
}

func (b *builder) objects() {
	b.pageInfo = graphql.NewObject(graphql.ObjectConfig{
		Name:        "PageInfo",
		Description: "Position of a page in a cursor-paginated list (分页信息).",
		Fields: graphql.Fields{
			"hasNextPage":     {Type: nn(tBool), Description: "More edges follow this page (是否有下一页).", Resolve: get(func(c connNode) any { return c.hasNext })},
			"hasPreviousPage": {Type: nn(tBool), Description: "Edges precede this page, i.e. `after` was given (是否有上一页).", Resolve: get(func(c connNode) any { return c.hasPrev })},
			"startCursor": {Type: tString, Description: "Cursor of the first edge, null for an empty page (首条游标).", Resolve: get(func(c connNode) any {
				if len(c.edges) == 0 {
					return nil
				}
				return c.edges[0].cursor
			})},
			"endCursor": {Type: tString, Description: "Cursor of the last edge; pass it as `after` for the next page (末条游标).", Resolve: get(func(c connNode) any {
				if len(c.edges) == 0 {
					return nil
				}
				return c.edges[len(c.edges)-1].cursor
			})},
		},
	})

	b.division = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Division",
		Description: "An administrative division or work area (行政区划): district 370114, its towns, work areas and villages.",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"code":  {Type: nn(tString), Description: "GB/T 2260 or 12-digit statistical code (区划代码).", Resolve: get(func(d *service.DivisionView) any { return d.Code })},
				"name":  {Type: nn(tString), Description: "Chinese name (名称).", Resolve: get(func(d *service.DivisionView) any { return d.Name })},
				"level": {Type: b.divisionLevel, Description: "Level (层级).", Resolve: get(func(d *service.DivisionView) any { return nz(d.Level) })},
				"parent": {Type: b.division, Description: "The enclosing division, null for the district (上级区划).", Resolve: func(p graphql.ResolveParams) (any, error) {
					d, ok := p.Source.(*service.DivisionView)
					if !ok || d.Parent == "" {
						return nil, nil
					}
					return divisionThunk(p, d.Parent)
				}},
			}
		}),
	})

	b.itemField = graphql.NewObject(graphql.ObjectConfig{
		Name:        "ItemField",
		Description: "One form field of an item (事项表单字段).",
		Fields: graphql.Fields{
			"name":     {Type: nn(tString), Description: "Field name (字段名).", Resolve: get(func(f service.FieldSpec) any { return f.Name })},
			"label":    {Type: nn(tString), Description: "Chinese label shown on the form (字段标签).", Resolve: get(func(f service.FieldSpec) any { return f.Label })},
			"evidence": {Type: tString, Description: "Evidence path that fills it, e.g. applicant.birth_date (数据来源路径).", Resolve: get(func(f service.FieldSpec) any { return nz(f.Path) })},
			"autofill": {Type: nn(tBool), Description: "May be pre-filled from evidence (可自动填充, 表单免填写).", Resolve: get(func(f service.FieldSpec) any { return f.Autofill })},
			"required": {Type: nn(tBool), Description: "Required on the form (必填).", Resolve: get(func(f service.FieldSpec) any { return false })},
		},
	})

	b.item = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Item",
		Description: "A small-power item a village handles (小微权力事项), from the policy bundle's catalogue.",
		Fields: graphql.Fields{
			"code":         {Type: nn(tString), Description: "Item code, part of the API contract, e.g. elderly_allowance (事项编码).", Resolve: get(func(i *service.Item) any { return i.Code })},
			"name":         {Type: nn(tString), Description: "Chinese name (事项名称).", Resolve: get(func(i *service.Item) any { return i.NameZH })},
			"nameEn":       {Type: tString, Description: "English name (英文名称).", Resolve: get(func(i *service.Item) any { return nz(i.NameEN) })},
			"category":     {Type: tString, Description: "Category (事项类别).", Resolve: get(func(i *service.Item) any { return nz(i.Category) })},
			"legalBasis":   {Type: tString, Description: "Legal basis text (法律依据).", Resolve: get(func(i *service.Item) any { return nz(i.LegalBasis) })},
			"fields":       {Type: list(b.itemField), Description: "Form fields (表单字段).", Resolve: get(func(i *service.Item) any { return i.Fields })},
			"evidence":     {Type: list(tString), Description: "Required evidence as <platform>.<kind> (所需证据).", Resolve: get(func(i *service.Item) any { return []string{} })},
			"reviewLevels": {Type: list(b.reviewLevel), Description: "Review levels in order (审核层级).", Resolve: get(func(i *service.Item) any { return strs(i.Levels) })},
			"instant":      {Type: nn(tBool), Description: "Instant approval allowed (秒批).", Resolve: get(func(i *service.Item) any { return i.Instant })},
			"proactive":    {Type: nn(tBool), Description: "Proactive scanning allowed (免申即享 / 主动服务).", Resolve: get(func(i *service.Item) any { return i.Proactive })},
			"benefitSubject": {Type: tString, Description: "Whom the benefit is for: applicant, household (once per household, 按户) or deceased (once per death, 按逝者; apply names the deceased in subjectIdNumber) (享受主体).",
				Resolve: get(func(i *service.Item) any { return nz(i.BenefitSubject) })},
		},
	})

	b.conflictValue = graphql.NewObject(graphql.ObjectConfig{
		Name:        "ConflictValue",
		Description: "One platform's version of a conflicting field (冲突取值).",
		Fields: graphql.Fields{
			"platform": {Type: b.platform, Description: "Platform that holds this value (数据平台).", Resolve: get(func(v conflictValueNode) any { return string(v.v.Platform) })},
			"value":    {Type: tString, Description: "The value as JSON text, ID numbers masked unless allowed (取值).", Resolve: get(func(v conflictValueNode) any { return conflictValue(v.v.Value, v.unmasked) })},
			"record":   {Type: tString, Description: "Record id at that platform (记录标识).", Resolve: get(func(v conflictValueNode) any { return nz(maskUnless(v.v.Record, v.unmasked)) })},
		},
	})

	b.conflict = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Conflict",
		Description: "Platforms disagreeing on one field (数据冲突); never resolved silently.",
		Fields: graphql.Fields{
			"field":     {Type: nn(tString), Description: "Dotted field path, e.g. deceased (字段路径).", Resolve: get(func(c conflictNode) any { return strings.TrimPrefix(c.c.Field, "applicant.") })},
			"authority": {Type: b.platform, Description: "Platform whose value the record carries (权威来源).", Resolve: get(func(c conflictNode) any { return string(c.c.Authority) })},
			"values": {Type: list(b.conflictValue), Description: "Each platform's value (各平台取值).", Resolve: get(func(c conflictNode) any {
				out := make([]conflictValueNode, len(c.c.Values))
				for i, v := range c.c.Values {
					out[i] = conflictValueNode{v: v, unmasked: c.unmasked}
				}
				return out
			})},
		},
	})

	b.provenance = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Provenance",
		Description: "Where one fact came from (数据来源): platform, endpoint, record, fetch time, staleness and conflicts.",
		Fields: graphql.Fields{
			"field":     {Type: nn(tString), Description: "Field path the provenance is for, e.g. birth_date or licences.0 (字段路径).", Resolve: get(func(p provenanceNode) any { return p.field })},
			"platform":  {Type: b.platform, Description: "Platform that supplied it (数据平台).", Resolve: get(func(p provenanceNode) any { return string(p.p.Platform) })},
			"endpoint":  {Type: tString, Description: "Platform endpoint, e.g. rkjc/query (接口).", Resolve: get(func(p provenanceNode) any { return nz(p.p.Endpoint) })},
			"record":    {Type: tString, Description: "Record id or GB/T 36904 licence identifier, ID numbers masked unless allowed (记录标识).", Resolve: get(func(p provenanceNode) any { return nz(maskUnless(p.p.Record, p.unmasked)) })},
			"fetchedAt": {Type: tDateTime, Description: "When the hub received it (获取时间).", Resolve: get(func(p provenanceNode) any { return tm(p.p.FetchedAt) })},
			"stale":     {Type: nn(tBool), Description: "Served from cache after the platform failed (缓存数据, 可能过时).", Resolve: get(func(p provenanceNode) any { return p.p.Stale })},
			"conflicts": {Type: list(b.conflict), Description: "Disagreements between platforms on this field (数据冲突).", Resolve: get(func(p provenanceNode) any { return wrapConflicts(p.conflicts, p.unmasked) })},
		},
	})

	b.issuer = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Issuer",
		Description: "The office that issued a licence (发证机关).",
		Fields: graphql.Fields{
			"name": {Type: tString, Description: "Office name (机关名称).", Resolve: get(func(l licenceNode) any { return nz(l.l.Issuer) })},
			"uscc": {Type: tString, Description: "GB 32100-2015 unified social credit code (统一社会信用代码).", Resolve: get(func(l licenceNode) any { return nz(l.l.IssuerUSCC) })},
			"usccValid": {Type: tBool, Description: "Whether the USCC's check character is correct (信用代码校验位是否正确); null when absent or malformed.", Resolve: get(func(l licenceNode) any {
				u, err := ident.ParseUSCC(l.l.IssuerUSCC)
				if err != nil {
					return nil
				}
				return u.CheckValid
			})},
		},
	})

	b.attr = graphql.NewObject(graphql.ObjectConfig{
		Name:        "LicenceAttribute",
		Description: "A type-specific licence attribute, e.g. disability category and grade (证照附加信息).",
		Fields: graphql.Fields{
			"name":  {Type: nn(tString), Description: "Attribute name, e.g. category, grade, spouse_id_number (属性名).", Resolve: get(func(a attrNode) any { return a.name })},
			"value": {Type: tString, Description: "Value as text; other persons' ID numbers are always masked (属性值).", Resolve: get(func(a attrNode) any { return a.value })},
		},
	})

	b.licence = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Licence",
		Description: "An e-licence (电子证照) held by a resident, from the provincial platform.",
		Fields: graphql.Fields{
			"id":         {Type: nn(tString), Description: "GB/T 36904-2018 identifier (电子证照标识); an ID number inside it is masked unless allowed.", Resolve: get(func(l licenceNode) any { return l.n.text(l.l.ID) })},
			"type":       {Type: b.licenceType, Description: "Licence type (证照类型).", Resolve: get(func(l licenceNode) any { return nz(l.l.Type) })},
			"number":     {Type: tString, Description: "Licence number (证照编号); an ID number is masked unless allowed.", Resolve: get(func(l licenceNode) any { return nz(l.n.text(l.l.Number)) })},
			"issuer":     {Type: nn(b.issuer), Description: "Issuing office (发证机关).", Resolve: get(func(l licenceNode) any { return l })},
			"issuedOn":   {Type: tString, Description: "Issue date YYYY-MM-DD (发证日期).", Resolve: get(func(l licenceNode) any { return nz(l.l.IssuedOn) })},
			"validUntil": {Type: tString, Description: "End of validity YYYY-MM-DD; null when long-term (有效期至).", Resolve: get(func(l licenceNode) any { return nz(l.l.ValidUntil) })},
			"longTerm":   {Type: nn(tBool), Description: "Valid without end date (长期有效).", Resolve: get(func(l licenceNode) any { return l.l.ValidUntil == "" })},
			"status":     {Type: b.licenceStatus, Description: "Status (证照状态).", Resolve: get(func(l licenceNode) any { return nz(l.l.Status) })},
			"attributes": {Type: list(b.attr), Description: "Type-specific attributes (附加信息).", Resolve: get(func(l licenceNode) any { return licenceAttrs(l.l, l.n.p.Unmasked) })},
			"provenance": {Type: b.provenance, Description: "Where the licence came from (数据来源).", Resolve: get(func(l licenceNode) any { return licenceProvenance(l) })},
		},
	})

	b.enrolment = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Enrolment",
		Description: "An item the resident currently receives, per the district rolls (已享受待遇).",
		Fields: graphql.Fields{
			"itemCode": {Type: nn(tString), Description: "Item code (事项编码).", Resolve: get(func(code string) any { return code })},
			"item": {Type: b.item, Description: "The item (事项).", Resolve: func(p graphql.ResolveParams) (any, error) {
				code, _ := p.Source.(string)
				return itemThunk(p, code)
			}},
		},
	})

	b.reason = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Reason",
		Description: "One reason of a decision, as the REST API gives it (判定理由): a stable code, the rule it rests on, Chinese and English text.",
		Fields: graphql.Fields{
			"code": {Type: nn(tString), Description: "Stable reason code, e.g. age_80_89 (理由代码).", Resolve: get(func(r service.Reason) any { return r.Code })},
			"rule": {Type: tString, Description: "The rule or legal basis it rests on (依据).", Resolve: get(func(r service.Reason) any { return nz(r.Rule) })},
			"zh":   {Type: tString, Description: "Chinese text (中文说明).", Resolve: get(func(r service.Reason) any { return nz(r.ZH) })},
			"en":   {Type: tString, Description: "English text (英文说明).", Resolve: get(func(r service.Reason) any { return nz(r.EN) })},
		},
	})

	b.decisionReplay = graphql.NewObject(graphql.ObjectConfig{
		Name: "DecisionReplay",
		Description: "A recorded decision evaluated again on its recorded input and clock with the policy in use now " +
			"(判定重放复核). The replay is written to the audit log.",
		Fields: graphql.Fields{
			"decisionId":       {Type: nn(tID), Description: "The decision replayed (判定编号).", Resolve: get(func(r *service.DecisionReplay) any { return r.DecisionID })},
			"recordedRevision": {Type: nn(tString), Description: "Policy revision the decision was made under (原判定政策版本).", Resolve: get(func(r *service.DecisionReplay) any { return r.RecordedRevision })},
			"revision":         {Type: tString, Description: "Policy revision of the replay; null when the record was not replayed (重放政策版本).", Resolve: get(func(r *service.DecisionReplay) any { return nz(r.Revision) })},
			"sameRevision":     {Type: nn(tBool), Description: "The replay ran under the recorded revision (政策版本是否相同).", Resolve: get(func(r *service.DecisionReplay) any { return r.SameRevision })},
			"inputIntact":      {Type: nn(tBool), Description: "The recorded input still matches its digest; false means the record was altered and was not replayed (输入记录完整).", Resolve: get(func(r *service.DecisionReplay) any { return r.InputIntact })},
			"identical":        {Type: nn(tBool), Description: "The replayed result equals the recorded one byte for byte (结果完全一致).", Resolve: get(func(r *service.DecisionReplay) any { return r.Identical })},
			"eligible":         {Type: tBool, Description: "The verdict of the replay: true, false, or null for undetermined or not replayed (重放判定结果).", Resolve: get(func(r *service.DecisionReplay) any { return boolp(r.Eligible) })},
			"reasons":          {Type: list(tString), Description: "Reasons of the replay as text (重放判定理由).", Resolve: get(func(r *service.DecisionReplay) any { return reasonText(r.Reasons) })},
			"reasonDetails":    {Type: list(b.reason), Description: "Reasons of the replay with code and rule, as the REST API gives them (重放判定理由明细).", Resolve: get(func(r *service.DecisionReplay) any { return reasons(r.Reasons) })},
			"replayedAt":       {Type: nn(tDateTime), Description: "When replayed (重放时间).", Resolve: get(func(r *service.DecisionReplay) any { return tm(r.ReplayedAt) })},
		},
	})

	b.decision = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Decision",
		Description: "A policy decision (政策判定): eligibility with reasons, missing evidence and auto-fill list.",
		Fields: graphql.Fields{
			"id":            {Type: nn(tID), Description: "Decision id (判定编号).", Resolve: get(func(d *service.DecisionDetail) any { return d.DecisionID })},
			"itemCode":      {Type: nn(tString), Description: "Item code (事项编码).", Resolve: get(func(d *service.DecisionDetail) any { return d.Item })},
			"item":          {Type: b.item, Description: "The item decided on (事项).", Resolve: func(p graphql.ResolveParams) (any, error) { return itemThunk(p, srcDecision(p).Item) }},
			"applicationId": {Type: tID, Description: "Application it belongs to; null for an eligibility check (申请编号).", Resolve: get(func(d *service.DecisionDetail) any { return nz(d.ApplicationID) })},
			"eligible":      {Type: tBool, Description: "true eligible, false not eligible, null undetermined (是否符合条件; null 为待定).", Resolve: get(func(d *service.DecisionDetail) any { return boolp(d.Eligible) })},
			"reasons":       {Type: list(tString), Description: "Reasons as text, Chinese with English (判定理由).", Resolve: get(func(d *service.DecisionDetail) any { return reasonText(d.Reasons) })},
			"reasonDetails": {Type: list(b.reason), Description: "Reasons with code and rule, as the REST API gives them (判定理由明细).", Resolve: get(func(d *service.DecisionDetail) any { return reasons(d.Reasons) })},
			"missing":       {Type: list(tString), Description: "Evidence that could not be obtained, as <platform>.<kind> (缺失证据).", Resolve: get(func(d *service.DecisionDetail) any { return strs(d.Missing) })},
			"autofill":      {Type: list(tString), Description: "Form fields that may be pre-filled (可自动填充字段).", Resolve: get(func(d *service.DecisionDetail) any { return strs(d.Autofill) })},
			"instant":       {Type: nn(tBool), Description: "Instant approval applies (秒批).", Resolve: get(func(d *service.DecisionDetail) any { return d.Instant })},
			"revision":      {Type: tString, Description: "Policy bundle revision (政策版本).", Resolve: get(func(d *service.DecisionDetail) any { return nz(d.Revision) })},
			"inputDigest":   {Type: tString, Description: "SHA-256 of the policy input, for replay (输入摘要).", Resolve: get(func(d *service.DecisionDetail) any { return nz(d.InputDigest) })},
			"decidedAt":     {Type: tDateTime, Description: "When decided (判定时间).", Resolve: get(func(d *service.DecisionDetail) any { return tm(d.At) })},
			"replay": {Type: b.decisionReplay, Description: "The decision evaluated again on its recorded input and clock with the policy in use now, " +
				"for auditors; written to the audit log (判定重放复核，供审计).", Resolve: replayField},
		},
	})

	b.person = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Person",
		Description: "A resident (居民) as the hub released them to this caller for the stated purpose. Fields policy withholds are null.",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"idNumber": {Type: tString, Description: "ID number (公民身份号码), masked as 370114********123X unless policy allows the full number.", Resolve: pget("id_number", func(n *personNode) any {
					if n.p.Unmasked {
						return n.p.Record.IDNumber
					}
					return ident.MaskIDNumber(n.p.Record.IDNumber)
				})},
				"idNumberMasked": {Type: nn(tBool), Description: "Whether idNumber is masked (身份证号是否已脱敏).", Resolve: get(func(n *personNode) any { return !n.p.Unmasked })},
				"name":           {Type: tString, Description: "Name (姓名).", Resolve: pget("name", func(n *personNode) any { return nz(n.p.Record.Name) })},
				"sex":            {Type: b.sex, Description: "Sex (性别).", Resolve: pget("sex", func(n *personNode) any { return nz(n.p.Record.Sex) })},
				"birthDate":      {Type: tString, Description: "Birth date YYYY-MM-DD (出生日期).", Resolve: pget("birth_date", func(n *personNode) any { return nz(n.p.Record.BirthDate) })},
				"age": {Type: tInt, Description: "Age in full years today, China Standard Time, or at death (年龄).", Resolve: func(p graphql.ResolveParams) (any, error) {
					n, ok := p.Source.(*personNode)
					if !ok || n.hidden("birth_date") {
						return nil, nil
					}
					return age(&n.p.Record, stateOf(p.Context).now()), nil
				}},
				"ethnicity": {Type: tString, Description: "Ethnicity (民族).", Resolve: pget("ethnicity", func(n *personNode) any { return nz(n.p.Record.Ethnicity) })},
				"hukouType": {Type: b.hukou, Description: "Household registration type (户口性质).", Resolve: pget("hukou_type", func(n *personNode) any { return nz(n.p.Record.HukouType) })},
				"village": {Type: b.division, Description: "Village of registration per the district roll (所属村).", Resolve: func(p graphql.ResolveParams) (any, error) {
					n, ok := p.Source.(*personNode)
					if !ok || n.hidden("village") || n.p.Record.Village == "" {
						return nil, nil
					}
					return divisionThunk(p, n.p.Record.Village)
				}},
				"relation":  {Type: tString, Description: "Relation to the household head: head, spouse, son, daughter, ... (与户主关系).", Resolve: pget("relation", func(n *personNode) any { return nz(n.p.Record.Relation) })},
				"marital":   {Type: tString, Description: "Marital status: single, married, divorced, widowed (婚姻状况).", Resolve: pget("marital", func(n *personNode) any { return nz(n.p.Record.Marital) })},
				"deceased":  {Type: tBool, Description: "Recorded as deceased by the province (已死亡).", Resolve: pget("deceased", func(n *personNode) any { return n.p.Record.Deceased })},
				"deathDate": {Type: tString, Description: "Death date YYYY-MM-DD (死亡日期).", Resolve: pget("death_date", func(n *personNode) any { return nz(n.p.Record.DeathDate) })},
				"household": {Type: b.household, Description: "The resident's household (户), looked up for the same purpose through the hub.", Resolve: func(p graphql.ResolveParams) (any, error) {
					n, ok := p.Source.(*personNode)
					if !ok || n.hidden("household_id") || n.p.Record.HouseholdID == "" {
						return nil, nil
					}
					s, err := st(p)
					if err != nil {
						return nil, err
					}
					purpose := n.purpose
					return s.ld.households.thunk(householdKey{n.p.Record.HouseholdID, purpose}, func(h *service.HouseholdView) (any, error) {
						return &householdNode{h: h, purpose: purpose}, nil
					}), nil
				}},
				"licences": {Type: graphql.NewList(nn(b.licence)), Description: "E-licences held, optionally of one type or status (电子证照, 证明免提交).",
					Args: graphql.FieldConfigArgument{
						"type":   arg(b.licenceType, "Only licences of this type (按证照类型筛选)."),
						"status": arg(b.licenceStatus, "Only licences with this status (按状态筛选)."),
					},
					Resolve: func(p graphql.ResolveParams) (any, error) {
						n, ok := p.Source.(*personNode)
						if !ok || n.hidden("licences") {
							return nil, nil
						}
						typ, _ := p.Args["type"].(string)
						status, _ := p.Args["status"].(string)
						out := []licenceNode{}
						for i := range n.p.Record.Licences {
							l := &n.p.Record.Licences[i]
							if (typ == "" || l.Type == typ) && (status == "" || l.Status == status) {
								out = append(out, licenceNode{l: l, idx: i, n: n})
							}
						}
						return out, nil
					}},
				"enrolments": {Type: graphql.NewList(nn(b.enrolment)), Description: "Items the resident currently receives, per the district rolls (已享受待遇).", Resolve: func(p graphql.ResolveParams) (any, error) {
					n, ok := p.Source.(*personNode)
					if !ok || n.hidden("rolls") || n.p.Record.Rolls == nil {
						return nil, nil
					}
					return strs(n.p.Record.Rolls.Enrolled), nil
				}},
				"eligibility": {Type: b.decision, Description: "Eligibility for an item, evaluated by policy for the same purpose (资格判定).",
					Args: graphql.FieldConfigArgument{"item": arg(nn(tString), "Item code, e.g. elderly_allowance (事项编码).")},
					Resolve: func(p graphql.ResolveParams) (any, error) {
						n, ok := p.Source.(*personNode)
						if !ok {
							return nil, nil
						}
						s, err := st(p)
						if err != nil {
							return nil, err
						}
						item, _ := p.Args["item"].(string)
						return s.ld.eligibility.thunk(eligibilityKey{n.p.Record.IDNumber, item, n.purpose}, func(d *service.DecisionDetail) (any, error) { return d, nil }), nil
					}},
				"provenance": {Type: list(b.provenance), Description: "Provenance of each released field (数据来源).", Resolve: get(func(n *personNode) any { return personProvenance(n) })},
				"conflicts": {Type: list(b.conflict), Description: "Disagreements between platforms about this resident (数据冲突).", Resolve: get(func(n *personNode) any {
					var cs []evidence.Conflict
					for _, c := range n.p.Conflicts {
						if !n.hidden(c.Field) {
							cs = append(cs, c)
						}
					}
					return wrapConflicts(cs, n.p.Unmasked)
				})},
				"stale":    {Type: nn(tBool), Description: "Some data was served from cache after a platform failed (部分数据来自缓存).", Resolve: get(func(n *personNode) any { return n.p.Stale })},
				"withheld": {Type: list(tString), Description: "Fields policy withheld for this caller and purpose (依策略未提供的字段, 数据最小化).", Resolve: get(func(n *personNode) any { return strs(n.p.Withheld) })},
				"purpose":  {Type: nn(tString), Description: "Purpose this record was released for (查询目的).", Resolve: get(func(n *personNode) any { return n.purpose })},
			}
		}),
	})

	b.member = graphql.NewObject(graphql.ObjectConfig{
		Name:        "HouseholdMember",
		Description: "A member of a household with their relation to the head (家庭成员).",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"relation": {Type: tString, Description: "Relation to the household head: head, spouse, son, daughter, ... (与户主关系).", Resolve: get(func(m memberNode) any { return nz(m.m.Relation) })},
				"person": {Type: b.person, Description: "The member as a resident, looked up for the household's purpose through the same authorised call (成员信息).", Resolve: func(p graphql.ResolveParams) (any, error) {
					m, ok := p.Source.(memberNode)
					if !ok {
						return nil, nil
					}
					return personThunk(p, m.m.IDNumber, m.purpose)
				}},
			}
		}),
	})

	b.household = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Household",
		Description: "A household (户) on the district platform: members with relationships, hukou type, village.",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"id":        {Type: nn(tID), Description: "Household number at the district platform (户号).", Resolve: get(func(h *householdNode) any { return h.h.ID })},
				"hukouType": {Type: b.hukou, Description: "Household registration type (户口性质).", Resolve: get(func(h *householdNode) any { return nz(h.h.HukouType) })},
				"village": {Type: b.division, Description: "Village of the household (所属村).", Resolve: func(p graphql.ResolveParams) (any, error) {
					h, ok := p.Source.(*householdNode)
					if !ok || h.h.Village == "" {
						return nil, nil
					}
					return divisionThunk(p, h.h.Village)
				}},
				"members": {Type: list(b.member), Description: "Members, head first (家庭成员).", Resolve: get(func(h *householdNode) any {
					out := make([]memberNode, len(h.h.Members))
					for i, m := range h.h.Members {
						out[i] = memberNode{m: m, purpose: h.purpose}
					}
					return out
				})},
				"size":       {Type: nn(tInt), Description: "Number of members (家庭人口数).", Resolve: get(func(h *householdNode) any { return len(h.h.Members) })},
				"provenance": {Type: b.provenance, Description: "Where the household record came from (数据来源).", Resolve: get(func(h *householdNode) any { return householdProvenance(h.h) })},
			}
		}),
	})

	b.formField = graphql.NewObject(graphql.ObjectConfig{
		Name:        "FormField",
		Description: "A pre-filled form field with its provenance (表单字段, 表单免填写).",
		Fields: graphql.Fields{
			"name":     {Type: nn(tString), Description: "Field name (字段名).", Resolve: get(func(f formFieldNode) any { return f.f.Name })},
			"label":    {Type: tString, Description: "Chinese label (字段标签).", Resolve: get(func(f formFieldNode) any { return nz(f.f.Label) })},
			"value":    {Type: tString, Description: "Value; ID numbers masked unless allowed (字段值).", Resolve: get(func(f formFieldNode) any { return nz(maskUnless(formValue(f.f.Value), f.unmasked)) })},
			"declined": {Type: nn(tBool), Description: "The applicant declined the pre-filled value (申请人拒绝使用预填值).", Resolve: get(func(f formFieldNode) any { return f.f.Declined })},
			"source": {Type: b.provenance, Description: "Where the value came from; null when entered by hand (数据来源).", Resolve: get(func(f formFieldNode) any {
				if f.f.Source == nil {
					return nil
				}
				return provenanceNode{field: f.f.Name, p: sourceProvenance(f.f.Source), unmasked: f.unmasked}
			})},
		},
	})

	b.awaiting = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Awaiting",
		Description: "The review level an application waits for (待审核层级).",
		Fields: graphql.Fields{
			"level": {Type: b.reviewLevel, Description: "Review level (审核层级).", Resolve: get(func(a *service.Awaiting) any { return nz(a.Level) })},
			"division": {Type: b.division, Description: "Division whose reviewers act (审核单位).", Resolve: func(p graphql.ResolveParams) (any, error) {
				a, ok := p.Source.(*service.Awaiting)
				if !ok || a.Division == "" {
					return nil, nil
				}
				return divisionThunk(p, a.Division)
			}},
		},
	})

	b.review = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Review",
		Description: "One recorded review step (审核记录, 盖章免跑腿).",
		Fields: graphql.Fields{
			"level":    {Type: b.reviewLevel, Description: "Level (审核层级).", Resolve: get(func(r reviewNode) any { return nz(r.Level) })},
			"division": {Type: tString, Description: "Division code of the reviewing office (审核单位代码).", Resolve: get(func(r reviewNode) any { return nz(r.Division) })},
			"action":   {Type: b.reviewAction, Description: "Action taken (审核操作).", Resolve: get(func(r reviewNode) any { return nz(r.Action) })},
			"comment":  {Type: tString, Description: "Comment (审核意见).", Resolve: get(func(r reviewNode) any { return nz(r.Comment) })},
			"reviewer": {Type: tString, Description: "Reviewer identity (审核人).", Resolve: get(func(r reviewNode) any { return nz(r.Reviewer) })},
			"at":       {Type: tDateTime, Description: "When (审核时间).", Resolve: get(func(r reviewNode) any { return tm(r.At) })},
		},
	})

	b.permit = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Permit",
		Description: "An approval sealed as a compact JWS with the issuing office's key (批准文书/电子签章), verifiable offline with the hub's JWKS.",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"id":       {Type: nn(tID), Description: "Permit id, the JWS jti (文书编号).", Resolve: get(func(p *service.PermitView) any { return p.ID })},
				"itemCode": {Type: nn(tString), Description: "Item code (事项编码).", Resolve: get(func(p *service.PermitView) any { return p.Item })},
				"item":     {Type: b.item, Description: "The item (事项).", Resolve: func(p graphql.ResolveParams) (any, error) { return itemThunk(p, srcPermit(p).Item) }},
				"application": {Type: b.application, Description: "The application it approves (对应申请).", Resolve: func(p graphql.ResolveParams) (any, error) {
					pm := srcPermit(p)
					if pm.ApplicationID == "" {
						return nil, nil
					}
					s, err := st(p)
					if err != nil {
						return nil, err
					}
					return s.ld.apps.thunk(pm.ApplicationID, func(a *service.ApplicationDetail) (any, error) { return a, nil }), nil
				}},
				"token":            {Type: tString, Description: "The compact JWS (签章文书 JWS).", Resolve: get(func(p *service.PermitView) any { return nz(p.Token) })},
				"status":           {Type: b.permitStatus, Description: "Status (状态).", Resolve: get(func(p *service.PermitView) any { return nz(p.Status) })},
				"issuer":           {Type: tString, Description: "Issuing office code (签发机关).", Resolve: get(func(p *service.PermitView) any { return nz(p.Issuer) })},
				"kid":              {Type: tString, Description: "Signing key id in the JWKS (签章密钥标识).", Resolve: get(func(p *service.PermitView) any { return nz(p.KID) })},
				"issuedAt":         {Type: tDateTime, Description: "Issued at (签发时间).", Resolve: get(func(p *service.PermitView) any { return tm(p.IssuedAt) })},
				"expiresAt":        {Type: tDateTime, Description: "Expiry, when the item has a validity (有效期至).", Resolve: get(func(p *service.PermitView) any { return tmp(p.ExpiresAt) })},
				"revokedAt":        {Type: tDateTime, Description: "Revoked at (撤销时间).", Resolve: get(func(p *service.PermitView) any { return tmp(p.RevokedAt) })},
				"revocationReason": {Type: tString, Description: "Revocation reason (撤销原因).", Resolve: get(func(p *service.PermitView) any { return nz(p.Reason) })},
			}
		}),
	})

	b.application = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Application",
		Description: "One resident's application for one item (申请): pre-filled form, decision, confirmation and reviews.",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"id":                {Type: nn(tID), Description: "Application id (申请编号).", Resolve: get(func(a *service.ApplicationDetail) any { return a.View.ID })},
				"itemCode":          {Type: nn(tString), Description: "Item code (事项编码).", Resolve: get(func(a *service.ApplicationDetail) any { return a.View.Item })},
				"item":              {Type: b.item, Description: "The item (事项).", Resolve: func(p graphql.ResolveParams) (any, error) { return itemThunk(p, srcApp(p).View.Item) }},
				"applicantIdNumber": {Type: tString, Description: "Applicant's ID number, always masked (申请人身份证号, 脱敏).", Resolve: get(func(a *service.ApplicationDetail) any { return nz(ident.MaskIDNumber(a.ApplicantID)) })},
				"applicant": {Type: b.person, Description: "The applicant as a resident, looked up through the same authorised call (申请人信息).",
					Args: graphql.FieldConfigArgument{"purpose": purposeArg()},
					Resolve: func(p graphql.ResolveParams) (any, error) {
						a := srcApp(p)
						purpose, _ := p.Args["purpose"].(string)
						return personThunk(p, a.ApplicantID, purpose)
					}},
				// The stored application does not keep the purpose apart from its audit entries.
				"purpose": {Type: tString, Description: "Purpose stated when applying (申请目的).", Resolve: get(func(a *service.ApplicationDetail) any { return nil })},
				"status":  {Type: b.appStatus, Description: "Status (申请状态).", Resolve: get(func(a *service.ApplicationDetail) any { return nz(a.View.Status) })},
				"division": {Type: b.division, Description: "Applicant's village when applying (申请人所属村).", Resolve: func(p graphql.ResolveParams) (any, error) {
					a := srcApp(p)
					if a.View.Village == "" {
						return nil, nil
					}
					return divisionThunk(p, a.View.Village)
				}},
				"form": {Type: list(b.formField), Description: "Pre-filled form fields (预填表单).", Resolve: get(func(a *service.ApplicationDetail) any {
					out := make([]formFieldNode, len(a.View.Form.Fields))
					for i, f := range a.View.Form.Fields {
						out[i] = formFieldNode{f: f, unmasked: a.Unmasked}
					}
					return out
				})},
				"decision": {Type: b.decision, Description: "Policy decision (政策判定).", Resolve: get(func(a *service.ApplicationDetail) any {
					v := a.View
					if v.Decision.DecisionID == "" {
						return nil
					}
					return &service.DecisionDetail{DecisionView: v.Decision, Item: v.Item, ApplicationID: v.ID}
				})},
				"awaiting": {Type: b.awaiting, Description: "Level awaited while in review (待审核层级).", Resolve: get(func(a *service.ApplicationDetail) any {
					if a.View.Awaiting == nil {
						return nil
					}
					return a.View.Awaiting
				})},
				"reviews":  {Type: list(b.review), Description: "Reviews so far (审核记录).", Resolve: get(func(a *service.ApplicationDetail) any { return reviews(a.Reviews) })},
				"permitId": {Type: tID, Description: "Permit id once approved (文书编号).", Resolve: get(func(a *service.ApplicationDetail) any { return nz(a.View.PermitID) })},
				"permit": {Type: b.permit, Description: "The permit once approved (批准文书).", Resolve: func(p graphql.ResolveParams) (any, error) {
					a := srcApp(p)
					if a.View.PermitID == "" {
						return nil, nil
					}
					s, err := st(p)
					if err != nil {
						return nil, err
					}
					return s.ld.permits.thunk(a.View.PermitID, func(pm *service.PermitView) (any, error) { return pm, nil }), nil
				}},
				"createdAt": {Type: tDateTime, Description: "Created at (创建时间).", Resolve: get(func(a *service.ApplicationDetail) any { return tm(a.View.CreatedAt) })},
				"updatedAt": {Type: tDateTime, Description: "Last changed at (更新时间).", Resolve: get(func(a *service.ApplicationDetail) any { return tm(a.View.UpdatedAt) })},
			}
		}),
	})

	b.dataUse = graphql.NewObject(graphql.ObjectConfig{
		Name:        "DataUse",
		Description: "A data-use record (数据使用记录): who used a resident's data, when, for which item and purpose.",
		Fields: graphql.Fields{
			"id":         {Type: nn(tID), Description: "Record id (记录编号).", Resolve: get(func(d *service.DataUseRecord) any { return d.ID })},
			"at":         {Type: tDateTime, Description: "When (时间).", Resolve: get(func(d *service.DataUseRecord) any { return tm(d.At) })},
			"actor":      {Type: tString, Description: "Who: the caller's identity (使用者).", Resolve: get(func(d *service.DataUseRecord) any { return nz(d.Who) })},
			"role":       {Type: tString, Description: "The caller's role (角色).", Resolve: get(func(d *service.DataUseRecord) any { return nz(d.Role) })},
			"division":   {Type: tString, Description: "The caller's jurisdiction code (使用者所属区划).", Resolve: get(func(d *service.DataUseRecord) any { return nil })},
			"action":     {Type: tString, Description: "lookup, decision, refusal, review, permit or revocation (操作).", Resolve: get(func(d *service.DataUseRecord) any { return dataUseAction(d) })},
			"itemCode":   {Type: tString, Description: "Item code (事项编码).", Resolve: get(func(d *service.DataUseRecord) any { return nz(d.Item) })},
			"purpose":    {Type: tString, Description: "Stated purpose (使用目的).", Resolve: get(func(d *service.DataUseRecord) any { return nz(d.Purpose) })},
			"fields":     {Type: list(tString), Description: "Fields used (使用的字段).", Resolve: get(func(d *service.DataUseRecord) any { return []string{} })},
			"decisionId": {Type: tID, Description: "Decision id, when the use led to one (判定编号).", Resolve: get(func(d *service.DataUseRecord) any { return nil })},
		},
	})

	b.itemConn = b.connection(b.item, "item", "事项")
	b.appConn = b.connection(b.application, "application", "申请")
	b.dataUseConn = b.connection(b.dataUse, "data-use record", "数据使用记录")
	b.findingTypes()
}

type conflictValueNode struct {
	v        evidence.ConflictValue
	unmasked bool
}

type formFieldNode struct {
	f        service.Field
	unmasked bool
}

// formValue renders a form value as text: strings as they are, other values as JSON.
func formValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// sourceProvenance is a form field's source as evidence provenance.
func sourceProvenance(s *service.Source) evidence.Provenance {
	return evidence.Provenance{Platform: evidence.Platform(s.Platform), Endpoint: s.Endpoint, Record: s.Record,
		FetchedAt: s.FetchedAt, Stale: s.Stale}
}

// reviewNode is one review step as the schema shows it.
type reviewNode struct {
	Level, Division, Action, Comment, Reviewer string
	At                                         time.Time
}

func reviews(rs []store.Review) []reviewNode {
	out := make([]reviewNode, len(rs))
	for i, r := range rs {
		out[i] = reviewNode{Level: r.Level, Division: r.Division, Action: string(r.Action), Comment: r.Comment, Reviewer: r.Reviewer, At: r.At}
	}
	return out
}

// dataUseAction is what a data-use record was for: an application, or a lookup.
func dataUseAction(d *service.DataUseRecord) string {
	if d.ApplicationID != "" {
		return "application"
	}
	return "lookup"
}

func wrapConflicts(cs []evidence.Conflict, unmasked bool) []conflictNode {
	out := make([]conflictNode, len(cs))
	for i, c := range cs {
		out[i] = conflictNode{c: c, unmasked: unmasked}
	}
	return out
}

func householdProvenance(h *service.HouseholdView) any {
	if h.Provenance == nil {
		return nil
	}
	return provenanceNode{field: "household", p: *h.Provenance}
}

func maskUnless(s string, unmasked bool) string {
	if unmasked {
		return s
	}
	return maskIDs(s)
}

func boolp(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func srcApp(p graphql.ResolveParams) *service.ApplicationDetail {
	if a, ok := p.Source.(*service.ApplicationDetail); ok {
		return a
	}
	return &service.ApplicationDetail{}
}

func srcPermit(p graphql.ResolveParams) *service.PermitView {
	if a, ok := p.Source.(*service.PermitView); ok {
		return a
	}
	return &service.PermitView{}
}

// replayField resolves Decision.replay through Service.ReplayDecision, once per decision in
// a request however often the query asks.
func replayField(p graphql.ResolveParams) (any, error) {
	s, err := st(p)
	if err != nil {
		return nil, err
	}
	id := srcDecision(p).DecisionID
	if id == "" {
		return nil, nil
	}
	return s.ld.replays.thunk(id, func(r *service.DecisionReplay) (any, error) { return r, nil }), nil
}

func srcDecision(p graphql.ResolveParams) *service.DecisionDetail {
	if a, ok := p.Source.(*service.DecisionDetail); ok {
		return a
	}
	return &service.DecisionDetail{}
}

// personThunk is the one way the schema reaches a person: the batched, authorised People call.
func personThunk(p graphql.ResolveParams, idNumber, purpose string) (any, error) {
	s, err := st(p)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(purpose) == "" {
		return nil, coded(CodeBadUserInput, "purpose is required 须说明查询目的")
	}
	return s.ld.people.thunk(personKey{idNumber, purpose}, func(pp *service.PersonView) (any, error) {
		return newPersonNode(pp, purpose), nil
	}), nil
}

func divisionThunk(p graphql.ResolveParams, code string) (any, error) {
	s := stateOf(p.Context)
	if s == nil {
		return nil, nil
	}
	return s.ld.divisions.thunk(code, func(d *service.DivisionView) (any, error) { return d, nil }), nil
}

func itemThunk(p graphql.ResolveParams, code string) (any, error) {
	s := stateOf(p.Context)
	if s == nil || code == "" {
		return nil, nil
	}
	return s.ld.items.thunk(struct{}{}, func(m map[string]*service.Item) (any, error) {
		if it, ok := m[code]; ok {
			return it, nil
		}
		return nil, nil
	}), nil
}

// itemCursor encodes an item code as an opaque cursor.
func itemCursor(code string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("item:" + code))
}

func itemFromCursor(c string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", false
	}
	return strings.CutPrefix(string(b), "item:")
}
