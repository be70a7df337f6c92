package schema

import (
	"cmp"
	"sort"

	"github.com/graphql-go/graphql"

	"sanmian/hub/service"
)

func (b *builder) query() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "Query",
		Description: "Read access to the hub (查询入口). Every person lookup states a purpose and is authorised, audited and recorded by the hub.",
		Fields: graphql.Fields{
			"person": {
				Type:        b.person,
				Description: "One resident by ID number, for a stated purpose (按身份证号查询居民).",
				Args: graphql.FieldConfigArgument{
					"idNumber": arg(nn(tString), "18-character ID number (公民身份号码)."),
					"purpose":  purposeArg(),
				},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					id, _ := p.Args["idNumber"].(string)
					purpose, _ := p.Args["purpose"].(string)
					return personThunk(p, id, purpose)
				},
			},
			"people": {
				Type:        nn(graphql.NewList(b.person)),
				Description: "Several residents in one batched lookup, in the order given; an entry the caller may not see is null with an error (批量查询居民).",
				Args: graphql.FieldConfigArgument{
					"idNumbers": arg(list(tString), "ID numbers, at most 100 (身份证号列表)."),
					"purpose":   purposeArg(),
				},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					ids, _ := p.Args["idNumbers"].([]any)
					s, err := st(p)
					if err != nil {
						return nil, err
					}
					if len(ids) > s.maxList {
						return nil, coded(CodeListLimit, "too many ID numbers 身份证号过多")
					}
					purpose, _ := p.Args["purpose"].(string)
					out := make([]any, len(ids))
					for i, v := range ids {
						id, _ := v.(string)
						out[i], err = personThunk(p, id, purpose)
						if err != nil {
							return nil, err
						}
					}
					return out, nil
				},
			},
			"household": {
				Type:        b.household,
				Description: "One household by its household number, for a stated purpose (按户号查询家庭).",
				Args: graphql.FieldConfigArgument{
					"id":      arg(nn(tID), "Household number at the district platform (户号)."),
					"purpose": purposeArg(),
				},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					s, err := st(p)
					if err != nil {
						return nil, err
					}
					id, _ := p.Args["id"].(string)
					purpose, _ := p.Args["purpose"].(string)
					if purpose == "" {
						return nil, coded(CodeBadUserInput, "purpose is required 须说明查询目的")
					}
					return s.ld.households.thunk(householdKey{id, purpose}, func(h *service.HouseholdView) (any, error) {
						return &householdNode{h: h, purpose: purpose}, nil
					}), nil
				},
			},
			"item": {
				Type:        b.item,
				Description: "One item of the catalogue by code (按编码查询事项).",
				Args:        graphql.FieldConfigArgument{"code": arg(nn(tString), "Item code, e.g. elderly_allowance (事项编码).")},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					code, _ := p.Args["code"].(string)
					return itemThunk(p, code)
				},
			},
			"items": {
				Type:        nn(b.itemConn),
				Description: "The small-power item catalogue, ordered by code (小微权力事项清单).",
				Args: withArgs(pageArgsConfig("items"), graphql.FieldConfigArgument{
					"category": arg(tString, "Only items of this category (按类别筛选)."),
				}),
				Resolve: func(p graphql.ResolveParams) (any, error) {
					s := stateOf(p.Context)
					first, after, err := pageArgs(p, s.maxList)
					if err != nil {
						return nil, err
					}
					category, _ := p.Args["category"].(string)
					return s.ld.itemList.thunk(struct{}{}, func(items []service.Item) (any, error) {
						return itemPage(items, category, after, first), nil
					}), nil
				},
			},
			"application": {
				Type:        b.application,
				Description: "One application by id (按编号查询申请).",
				Args:        graphql.FieldConfigArgument{"id": arg(nn(tID), "Application id (申请编号).")},
				Resolve:     byID(func(s *reqState) *loader[string, *service.ApplicationDetail] { return s.ld.apps }),
			},
			"applications": {
				Type:        nn(b.appConn),
				Description: "Applications the caller may see, newest first (申请列表).",
				Args: withArgs(pageArgsConfig("applications"), graphql.FieldConfigArgument{
					"status":   arg(b.appStatus, "Only applications with this status (按状态筛选)."),
					"division": arg(tString, "Only applications from this division (按区划筛选)."),
					"item":     arg(tString, "Only applications for this item code (按事项筛选)."),
				}),
				Resolve: paged(func(p graphql.ResolveParams, s *reqState, after string, first int) (*Page[service.ApplicationDetail], error) {
					f := service.ListFilter{After: after, Limit: first}
					f.Status, _ = p.Args["status"].(string)
					f.Division, _ = p.Args["division"].(string)
					f.Item, _ = p.Args["item"].(string)
					ds, next, err := s.svc.ApplicationDetails(p.Context, s.caller, f)
					if err != nil {
						return nil, err
					}
					// Application ids are time-sortable and are the store's own paging cursor.
					return pageOf(ds, next, func(d *service.ApplicationDetail) string { return d.View.ID }), nil
				}),
			},
			"permit": {
				Type:        b.permit,
				Description: "One permit by id (按编号查询批准文书).",
				Args:        graphql.FieldConfigArgument{"id": arg(nn(tID), "Permit id (文书编号).")},
				Resolve:     byID(func(s *reqState) *loader[string, *service.PermitView] { return s.ld.permits }),
			},
			"decision": {
				Type:        b.decision,
				Description: "One policy decision by id, for auditors and replay (按编号查询判定).",
				Args:        graphql.FieldConfigArgument{"id": arg(nn(tID), "Decision id (判定编号).")},
				Resolve:     byID(func(s *reqState) *loader[string, *service.DecisionDetail] { return s.ld.decisions }),
			},
			"dataUse": {
				Type:        nn(b.dataUseConn),
				Description: "Who used a resident's data, newest first (居民数据使用记录).",
				Args: withArgs(pageArgsConfig("records"), graphql.FieldConfigArgument{
					"idNumber": arg(nn(tString), "The resident's ID number (公民身份号码)."),
				}),
				Resolve: paged(func(p graphql.ResolveParams, s *reqState, after string, first int) (*Page[service.DataUseRecord], error) {
					id, _ := p.Args["idNumber"].(string)
					recs, next, err := s.svc.DataUseRecords(p.Context, s.caller, id, after, first)
					if err != nil {
						return nil, err
					}
					return pageOf(recs, next, func(r *service.DataUseRecord) string { return r.ID }), nil
				}),
			},
			"worklists":  b.findingsField(false),
			"alerts":     b.findingsField(true),
			"contactLog": b.contactLogField(),
			"division": {
				Type:        b.division,
				Description: "One administrative division by code (按代码查询区划).",
				Args:        graphql.FieldConfigArgument{"code": arg(nn(tString), "Division code, e.g. 370114 (区划代码).")},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					code, _ := p.Args["code"].(string)
					return divisionThunk(p, code)
				},
			},
		},
	})
}

func (b *builder) mutation() *graphql.Object {
	applyIn := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "ApplyInput",
		Description: "A new application (提交申请), as POST /v1/applications.",
		Fields: graphql.InputObjectConfigFieldMap{
			"item":              {Type: nn(tString), Description: "Item code (事项编码)."},
			"applicantIdNumber": {Type: nn(tString), Description: "Applicant's ID number (申请人身份证号)."},
			"purpose":           {Type: nn(tString), Description: "Purpose of the data use (查询目的)."},
			"subjectIdNumber":   {Type: tString, Description: "ID number of the deceased a funeral subsidy is claimed for, when the applicant is a relative (逝者身份证号); only for items whose benefit subject is the deceased."},
			"idempotencyKey":    {Type: tString, Description: "Idempotency key; defaults to the Idempotency-Key header (幂等键)."},
		},
	})
	fieldText := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "FieldTextInput",
		Description: "A text for one form field, by the field's name (按字段名填写的内容).",
		Fields: graphql.InputObjectConfigFieldMap{
			"field": {Type: nn(tString), Description: "Form field name (字段名)."},
			"text":  {Type: nn(tString), Description: "The text (内容)."},
		},
	})
	confirmIn := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "ConfirmInput",
		Description: "The applicant's preview and signature (申请人确认签字).",
		Fields: graphql.InputObjectConfigFieldMap{
			"applicationId":  {Type: nn(tID), Description: "Application id (申请编号)."},
			"declined":       {Type: graphql.NewList(nn(tString)), Description: "Names of pre-filled fields the applicant declines (拒绝使用的预填字段)."},
			"signature":      {Type: tString, Description: "Signature capture reference from the counter pad (签名)."},
			"notes":          {Type: graphql.NewList(nn(fieldText)), Description: "Per declined field, the evidence brought instead (拒绝预填字段的说明)."},
			"values":         {Type: graphql.NewList(nn(fieldText)), Description: "Values entered at the counter for fields no platform filled (窗口录入的内容)."},
			"idempotencyKey": {Type: tString, Description: "Idempotency key; defaults to the Idempotency-Key header (幂等键)."},
		},
	})
	reviewIn := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "ReviewInput",
		Description: "A review at the application's current level (审核).",
		Fields: graphql.InputObjectConfigFieldMap{
			"applicationId":  {Type: nn(tID), Description: "Application id (申请编号)."},
			"action":         {Type: nn(b.reviewAction), Description: "Approve, reject or return (审核操作)."},
			"comment":        {Type: tString, Description: "Comment (审核意见)."},
			"idempotencyKey": {Type: tString, Description: "Idempotency key; defaults to the Idempotency-Key header (幂等键)."},
		},
	})
	revokeIn := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "RevokeInput",
		Description: "Revocation of a permit (撤销批准文书).",
		Fields: graphql.InputObjectConfigFieldMap{
			"permitId": {Type: nn(tID), Description: "Permit id (文书编号)."},
			"reason":   {Type: nn(tString), Description: "Reason (撤销原因)."},
		},
	})
	fields := graphql.Fields{
		"apply": {
			Type:        b.application,
			Description: "Create an application: pre-fill the form from evidence and decide (提交申请, 表单免填写).",
			Args:        graphql.FieldConfigArgument{"input": arg(nn(applyIn), "The application (申请内容).")},
			Resolve: mutation(func(p graphql.ResolveParams, s *reqState, m map[string]any) (any, error) {
				var req service.CreateRequest
				req.Item, req.Applicant.IDNumber, req.Purpose = str(m, "item"), str(m, "applicantIdNumber"), str(m, "purpose")
				if subject := str(m, "subjectIdNumber"); subject != "" {
					req.Subject = &service.SubjectRef{IDNumber: subject}
				}
				return changed(p, s)(s.svc.CreateApplication(p.Context, s.caller, req, idemKey(s, m)))
			}),
		},
		"confirm": {
			Type:        b.application,
			Description: "Record the applicant's preview and signature; fields may be declined (申请人确认).",
			Args:        graphql.FieldConfigArgument{"input": arg(nn(confirmIn), "The confirmation (确认内容).")},
			Resolve: mutation(func(p graphql.ResolveParams, s *reqState, m map[string]any) (any, error) {
				req := service.ConfirmRequest{Signature: str(m, "signature"), Notes: fieldTexts(m["notes"]), Values: fieldTexts(m["values"])}
				if d, ok := m["declined"].([]any); ok {
					for _, v := range d {
						if f, ok := v.(string); ok {
							req.Declined = append(req.Declined, f)
						}
					}
				}
				return changed(p, s)(s.svc.Confirm(p.Context, s.caller, str(m, "applicationId"), req, idemKey(s, m)))
			}),
		},
		"review": {
			Type:        b.application,
			Description: "Review at the current level; the last level or instant approval issues the permit (审核, 盖章免跑腿).",
			Args:        graphql.FieldConfigArgument{"input": arg(nn(reviewIn), "The review (审核内容).")},
			Resolve: mutation(func(p graphql.ResolveParams, s *reqState, m map[string]any) (any, error) {
				req := service.ReviewRequest{Action: str(m, "action"), Comment: str(m, "comment")}
				return changed(p, s)(s.svc.Review(p.Context, s.caller, str(m, "applicationId"), req, idemKey(s, m)))
			}),
		},
		"revoke": {
			Type:        b.permit,
			Description: "Revoke a permit and update the status list (撤销批准文书).",
			Args:        graphql.FieldConfigArgument{"input": arg(nn(revokeIn), "The revocation (撤销内容).")},
			Resolve: mutation(func(p graphql.ResolveParams, s *reqState, m map[string]any) (any, error) {
				res, err := s.svc.Revoke(p.Context, s.caller, str(m, "permitId"), service.RevokeRequest{Reason: str(m, "reason")}, "")
				if err != nil {
					return nil, err
				}
				return &res.View, nil
			}),
		},
	}
	b.followUpMutations(fields)
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "Mutation",
		Description: "Changes, mirroring the REST contract (变更入口); run one after another.",
		Fields:      fields,
	})
}

// byID resolves a query for one object by its "id" argument through the request's batching
// loader for that kind.
func byID[V any](pick func(*reqState) *loader[string, V]) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		s, err := st(p)
		if err != nil {
			return nil, err
		}
		id, _ := p.Args["id"].(string)
		return pick(s).thunk(id, func(v V) (any, error) { return v, nil }), nil
	}
}

// paged resolves a connection: the page arguments are checked, fetch runs concurrently with
// the other fields of the level, and a service error becomes a GraphQL error.
func paged[T any](fetch func(p graphql.ResolveParams, s *reqState, after string, first int) (*Page[T], error)) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		s, err := st(p)
		if err != nil {
			return nil, err
		}
		first, after, err := pageArgs(p, s.maxList)
		if err != nil {
			return nil, err
		}
		if first == 0 {
			return connNode{hasPrev: after != ""}, nil
		}
		return async(p, func() (any, error) {
			pg, err := fetch(p, s, after, first)
			if err != nil {
				return nil, s.svcErr(err)
			}
			return pageConn(pg, after, func(v *T) any { return v }), nil
		}), nil
	}
}

// pageOf is one page of a service list: each element with its cursor, and whether the
// service gave a cursor for a next page.
func pageOf[T any](list []T, next string, cursor func(*T) string) *Page[T] {
	pg := &Page[T]{HasNextPage: next != ""}
	for i := range list {
		pg.Edges = append(pg.Edges, Edge[T]{Cursor: cursor(&list[i]), Node: list[i]})
	}
	return pg
}

// changed turns the outcome of a change to an application into the application as GraphQL
// shows it: the outcome's view, with the applicant, the reviews and the unmask flag from an
// authorised read of the application.
func changed(p graphql.ResolveParams, s *reqState) func(service.Outcome[service.ApplicationView], error) (any, error) {
	return func(res service.Outcome[service.ApplicationView], err error) (any, error) {
		if err != nil {
			return nil, err
		}
		d, err := s.svc.ApplicationDetail(p.Context, s.caller, res.View.ID)
		if err != nil {
			return nil, err
		}
		d.View = res.View
		return &d, nil
	}
}

// mutation resolves a mutation with an "input" argument: call gets the authenticated request
// state and the input object; a service error becomes a GraphQL error.
func mutation(call func(p graphql.ResolveParams, s *reqState, input map[string]any) (any, error)) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		s, err := st(p)
		if err != nil {
			return nil, err
		}
		m, _ := p.Args["input"].(map[string]any)
		v, err := call(p, s, m)
		if err != nil {
			return nil, s.svcErr(err)
		}
		return v, nil
	}
}

// idemKey is the input's idempotencyKey, or the request's Idempotency-Key header.
func idemKey(s *reqState, m map[string]any) string {
	return cmp.Or(str(m, "idempotencyKey"), s.idemKey)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func withArgs(a, b graphql.FieldConfigArgument) graphql.FieldConfigArgument {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// async runs f on its own goroutine at once and returns a thunk that waits for it, so that
// independent fields of a level run concurrently.
func async(p graphql.ResolveParams, f func() (any, error)) thunk {
	type res struct {
		v   any
		err error
	}
	ch := make(chan res, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- res{nil, coded(CodeInternal, "internal error 内部错误")}
			}
		}()
		v, err := f()
		ch <- res{v, err}
	}()
	return func() (any, error) {
		select {
		case r := <-ch:
			return r.v, r.err
		case <-p.Context.Done():
			return nil, coded(CodeTimeout, "request cancelled or timed out 请求已取消或超时")
		}
	}
}

// itemPage pages the catalogue: items sorted by code, filtered by category, after a cursor.
func itemPage(items []service.Item, category, after string, first int) connNode {
	sorted := make([]*service.Item, 0, len(items))
	for i := range items {
		if category == "" || items[i].Category == category {
			sorted = append(sorted, &items[i])
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Code < sorted[j].Code })
	start := 0
	if after != "" {
		if code, ok := itemFromCursor(after); ok {
			start = sort.Search(len(sorted), func(i int) bool { return sorted[i].Code > code })
		}
	}
	end := min(start+first, len(sorted))
	c := connNode{hasPrev: start > 0, hasNext: end < len(sorted)}
	for _, it := range sorted[start:end] {
		c.edges = append(c.edges, edgeNode{cursor: itemCursor(it.Code), node: it})
	}
	return c
}

// fieldTexts turns a list of FieldTextInput into a map by field name (nil when absent).
func fieldTexts(v any) map[string]string {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil
	}
	out := make(map[string]string, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			f, _ := m["field"].(string)
			t, _ := m["text"].(string)
			out[f] = t
		}
	}
	return out
}
