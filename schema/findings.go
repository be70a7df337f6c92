package schema

import (
	"github.com/graphql-go/graphql"

	"sanmian/hub/service"
)

// findingTypes builds the scan findings (worklist candidates and supervision alerts) with
// their contact log and resolution, as GET /v1/worklists and GET /v1/alerts show them.
func (b *builder) findingTypes() {
	b.contact = graphql.NewObject(graphql.ObjectConfig{
		Name:        "ContactEntry",
		Description: "One entry of a worklist candidate's contact log (主动服务联系记录).",
		Fields: graphql.Fields{
			"seq":      {Type: nn(tInt), Description: "Entry number (记录序号).", Resolve: get(func(c *service.ContactView) any { return int(c.Seq) })},
			"status":   {Type: nn(b.contactStatus), Description: "What came of the contact (联系结果).", Resolve: get(func(c *service.ContactView) any { return c.Status })},
			"note":     {Type: tString, Description: "Note, with ID numbers, phone numbers and the resident's name masked (备注).", Resolve: get(func(c *service.ContactView) any { return nz(c.Note) })},
			"actor":    {Type: tString, Description: "Who logged it (记录人).", Resolve: get(func(c *service.ContactView) any { return nz(c.By) })},
			"role":     {Type: tString, Description: "Their role (角色).", Resolve: get(func(c *service.ContactView) any { return nz(c.Role) })},
			"at":       {Type: tDateTime, Description: "When (时间).", Resolve: get(func(c *service.ContactView) any { return tm(c.At) })},
			"itemCode": {Type: tString, Description: "Item code (事项编码).", Resolve: get(func(c *service.ContactView) any { return nz(c.Item) })},
		},
	})
	b.resolution = graphql.NewObject(graphql.ObjectConfig{
		Name:        "AlertResolution",
		Description: "An auditor's resolution of a supervision alert (预警处理结果).",
		Fields: graphql.Fields{
			"note":  {Type: tString, Description: "What was checked and done, redacted (处理说明).", Resolve: get(func(r *service.ResolutionView) any { return nz(r.Note) })},
			"actor": {Type: tString, Description: "Who resolved it (处理人).", Resolve: get(func(r *service.ResolutionView) any { return nz(r.By) })},
			"role":  {Type: tString, Description: "Their role (角色).", Resolve: get(func(r *service.ResolutionView) any { return nz(r.Role) })},
			"at":    {Type: tDateTime, Description: "When (时间).", Resolve: get(func(r *service.ResolutionView) any { return tm(r.At) })},
		},
	})
	b.finding = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Finding",
		Description: "A worklist candidate (主动服务名单) or a supervision alert (监督预警) of the latest district scan.",
		Fields: graphql.Fields{
			"id":          {Type: nn(tID), Description: "Names the finding in follow-up calls until the next scan replaces it (编号).", Resolve: get(func(f *service.FindingView) any { return f.ID })},
			"idNumber":    {Type: tString, Description: "The resident's ID number, always masked (身份证号, 脱敏).", Resolve: get(func(f *service.FindingView) any { return nz(f.IDNumber) })},
			"villageCode": {Type: tString, Description: "The resident's village code (村代码).", Resolve: get(func(f *service.FindingView) any { return nz(f.Village) })},
			"village": {Type: b.division, Description: "The resident's village (所属村).", Resolve: func(p graphql.ResolveParams) (any, error) {
				f, ok := p.Source.(*service.FindingView)
				if !ok || f.Village == "" {
					return nil, nil
				}
				return divisionThunk(p, f.Village)
			}},
			"itemCode": {Type: nn(tString), Description: "Item code (事项编码).", Resolve: get(func(f *service.FindingView) any { return f.Item })},
			"item": {Type: b.item, Description: "The item (事项).", Resolve: func(p graphql.ResolveParams) (any, error) {
				f, ok := p.Source.(*service.FindingView)
				if !ok {
					return nil, nil
				}
				return itemThunk(p, f.Item)
			}},
			"reasons":     {Type: list(tString), Description: "The policy's reason codes (理由代码).", Resolve: get(func(f *service.FindingView) any { return strs(f.Reasons) })},
			"reasonTexts": {Type: list(b.reason), Description: "The reasons with their Chinese and English texts (理由).", Resolve: get(func(f *service.FindingView) any { return f.ReasonTexts })},
			"rule":        {Type: tString, Description: "The legal basis an alert rests on (依据).", Resolve: get(func(f *service.FindingView) any { return nz(f.Rule) })},
			"evidence":    {Type: list(tString), Description: "The facts an alert rests on (证据).", Resolve: get(func(f *service.FindingView) any { return strs(f.Evidence) })},
			"sources":     {Type: list(tString), Description: "The platform each fact came from (数据来源).", Resolve: get(func(f *service.FindingView) any { return strs(f.Sources) })},
			"scannedAt":   {Type: tString, Description: "Scan date YYYY-MM-DD (扫描日期).", Resolve: get(func(f *service.FindingView) any { return nz(f.ScannedAt) })},
			"contact":     {Type: b.contact, Description: "A candidate's latest contact-log entry (最近联系记录).", Resolve: get(func(f *service.FindingView) any { return ptrOrNil(f.Contact) })},
			"resolution":  {Type: b.resolution, Description: "An alert's resolution; null while open (处理结果).", Resolve: get(func(f *service.FindingView) any { return ptrOrNil(f.Resolution) })},
		},
	})
	b.findingConn = b.connection(b.finding, "finding", "扫描结果")
}

// ptrOrNil returns nil for a nil pointer, so that GraphQL shows null.
func ptrOrNil[T any](p *T) any {
	if p == nil {
		return nil
	}
	return p
}

// findingsField is the worklists or alerts query.
func (b *builder) findingsField(alerts bool) *graphql.Field {
	args := withArgs(pageArgsConfig("findings"), graphql.FieldConfigArgument{
		"division": arg(tString, "Division code; default the caller's jurisdiction (区划代码)."),
		"item":     arg(tString, "Only this item code (按事项筛选)."),
	})
	desc := "Proactive-service worklist candidates of the latest scan in the caller's jurisdiction, ID numbers masked (主动服务名单)."
	if alerts {
		args["resolved"] = arg(tBoolean, "true: only resolved alerts; false: only open ones; absent: both (是否已处理).")
		desc = "Supervision alerts of the latest scan, for auditors, ID numbers masked (监督预警)."
	}
	return &graphql.Field{
		Type:        nn(b.findingConn),
		Description: desc,
		Args:        args,
		Resolve: paged(func(p graphql.ResolveParams, s *reqState, after string, first int) (*Page[service.FindingView], error) {
			q := service.FindingQuery{After: after, Limit: first}
			q.Division, _ = p.Args["division"].(string)
			q.Item, _ = p.Args["item"].(string)
			list := s.svc.Worklists
			if alerts {
				list = s.svc.Alerts
				if r, ok := p.Args["resolved"].(bool); ok {
					q.Resolved = "open"
					if r {
						q.Resolved = "resolved"
					}
				}
			}
			rows, next, err := list(p.Context, s.caller, q)
			if err != nil {
				return nil, err
			}
			return pageOf(rows, next, func(f *service.FindingView) string { return f.ID }), nil
		}),
	}
}

// contactLogField is the contactLog query: a worklist candidate's contact log, newest first,
// as GET /v1/worklists/{id}/contacts (authorised, and recorded in the resident's data-use
// record, by the same service method).
func (b *builder) contactLogField() *graphql.Field {
	return &graphql.Field{
		Type:        list(b.contact),
		Description: "A worklist candidate's contact log, newest first; recorded in the resident's data-use record (主动服务联系记录).",
		Args:        graphql.FieldConfigArgument{"findingId": arg(nn(tID), "The candidate's id (名单编号).")},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			s, err := st(p)
			if err != nil {
				return nil, err
			}
			id, _ := p.Args["findingId"].(string)
			return async(p, func() (any, error) {
				log, err := s.svc.ContactLog(p.Context, s.caller, id)
				if err != nil {
					return nil, s.svcErr(err)
				}
				out := make([]*service.ContactView, len(log))
				for i := range log {
					out[i] = &log[i]
				}
				return out, nil
			}), nil
		},
	}
}

// followUpMutations are the contact-log and alert-resolution mutations.
func (b *builder) followUpMutations(f graphql.Fields) {
	contactIn := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "ContactInput",
		Description: "A contact-log entry for a worklist candidate (联系记录), as POST /v1/worklists/{id}/contacts.",
		Fields: graphql.InputObjectConfigFieldMap{
			"findingId": {Type: nn(tID), Description: "The candidate's id (名单编号)."},
			"status":    {Type: nn(b.contactStatus), Description: "What came of the contact (联系结果)."},
			"note":      {Type: tString, Description: "Note (备注)."},
		},
	})
	resolveIn := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "ResolveAlertInput",
		Description: "The resolution of a supervision alert (预警处理), as POST /v1/alerts/{id}/resolve.",
		Fields: graphql.InputObjectConfigFieldMap{
			"alertId": {Type: nn(tID), Description: "The alert's id (预警编号)."},
			"note":    {Type: nn(tString), Description: "What was checked and done (处理说明)."},
		},
	})
	f["addContact"] = &graphql.Field{
		Type:        b.contact,
		Description: "Log a contact with a worklist candidate; audited (记录主动服务联系).",
		Args:        graphql.FieldConfigArgument{"input": arg(nn(contactIn), "The entry (联系记录).")},
		Resolve: mutation(func(p graphql.ResolveParams, s *reqState, m map[string]any) (any, error) {
			v, err := s.svc.AddContact(p.Context, s.caller, str(m, "findingId"), service.ContactRequest{Status: str(m, "status"), Note: str(m, "note")})
			if err != nil {
				return nil, err
			}
			return &v, nil
		}),
	}
	f["resolveAlert"] = &graphql.Field{
		Type:        b.finding,
		Description: "Resolve a supervision alert with a note; audited (处理监督预警).",
		Args:        graphql.FieldConfigArgument{"input": arg(nn(resolveIn), "The resolution (处理内容).")},
		Resolve: mutation(func(p graphql.ResolveParams, s *reqState, m map[string]any) (any, error) {
			v, err := s.svc.ResolveAlert(p.Context, s.caller, str(m, "alertId"), service.ResolveRequest{Note: str(m, "note")})
			if err != nil {
				return nil, err
			}
			return &v, nil
		}),
	}
}
