package province

import "strings"

// ethnicities is GB 3304-1991 (民族名称的罗马字母拼写法和代码), code → name.
var ethnicities = map[string]string{
	"01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族", "06": "苗族",
	"07": "彝族", "08": "壮族", "09": "布依族", "10": "朝鲜族", "11": "满族", "12": "侗族",
	"13": "瑶族", "14": "白族", "15": "土家族", "16": "哈尼族", "17": "哈萨克族", "18": "傣族",
	"19": "黎族", "20": "傈僳族", "21": "佤族", "22": "畲族", "23": "高山族", "24": "拉祜族",
	"25": "水族", "26": "东乡族", "27": "纳西族", "28": "景颇族", "29": "柯尔克孜族", "30": "土族",
	"31": "达斡尔族", "32": "仫佬族", "33": "羌族", "34": "布朗族", "35": "撒拉族", "36": "毛南族",
	"37": "仡佬族", "38": "锡伯族", "39": "阿昌族", "40": "普米族", "41": "塔吉克族", "42": "怒族",
	"43": "乌孜别克族", "44": "俄罗斯族", "45": "鄂温克族", "46": "德昂族", "47": "保安族",
	"48": "裕固族", "49": "京族", "50": "塔塔尔族", "51": "独龙族", "52": "鄂伦春族", "53": "赫哲族",
	"54": "门巴族", "55": "珞巴族", "56": "基诺族", "97": "其他", "98": "外国血统中国籍人士",
}

// marital maps GB/T 2261.2-2003 codes; "90" (未说明) maps to "" (no value).
var marital = map[string]string{
	"10": "single", "20": "married", "21": "married", "22": "married", "23": "married",
	"30": "widowed", "40": "divorced", "90": "",
}

// relationOf maps a family-relationship code (与户主关系, GB/T 4761-2008 as published by the
// platform) to the hub's relation codes. Sub-codes of a group map to the group's relation where the hub has no
// finer one. ok is false for a code outside the standard.
func relationOf(code string) (string, bool) {
	switch code {
	case "01", "02":
		return "head", true
	case "10", "11", "12":
		return "spouse", true
	// The platform's published code table puts 儿媳 at 28 and 女婿 at 38 (GB/T 4761-2008
	// has them the other way round); the platform's contract wins.
	case "28":
		return "daughter_in_law", true // 儿媳
	case "38":
		return "son_in_law", true // 女婿
	case "51", "53", "55", "57":
		return "father", true
	case "52", "54", "56", "58":
		return "mother", true
	case "41", "43":
		return "grandson", true
	case "42", "44":
		return "granddaughter", true
	}
	if len(code) != 2 || code[0] < '0' || code[0] > '9' || code[1] < '0' || code[1] > '9' {
		return "", false
	}
	switch code[0] {
	case '2':
		return "son", true
	case '3':
		return "daughter", true
	case '4', '5', '6', '7', '8', '9':
		return "other", true
	}
	return "", false
}

// licenceTypeOf classifies a licence type name (证照类型名称) into the hub's licence types.
func licenceTypeOf(name string) (string, bool) {
	for _, k := range []struct{ key, typ string }{
		{"身份证", "id_card"}, {"户口簿", "household_register"}, {"离婚", "divorce"},
		{"结婚", "marriage"}, {"残疾", "disability"}, {"独生子女", "only_child_honour"},
		{"出生", "birth"}, {"死亡", "death"}, {"不动产", "real_estate"}, {"房屋所有权", "real_estate"},
	} {
		if strings.Contains(name, k.key) {
			return k.typ, true
		}
	}
	return "", false
}

// licenceStatus maps 证照状态 codes.
var licenceStatus = map[string]string{"01": "valid", "02": "expired", "03": "revoked"}

// disabilityCategory maps the disability-certificate category code (残疾类别, kzxx.cjlb).
var disabilityCategory = map[string]string{
	"1": "visual", "2": "hearing", "3": "speech", "4": "physical", "5": "intellectual", "6": "mental", "7": "multiple",
}
