package synth

import "math/rand/v2"

// surnames are common family names of rural Jinan, repeated by rough frequency.
var surnames = []string{
	"王", "王", "王", "王", "王", "李", "李", "李", "李", "张", "张", "张", "张", "刘", "刘", "刘",
	"陈", "陈", "孟", "孟", "焦", "焦", "赵", "赵", "杨", "孙", "孙", "高", "高", "马", "徐", "郭",
	"吕", "韩", "周", "吴", "朱", "胡", "宋", "范", "冯", "石", "亓", "牛", "袁", "董", "于", "崔",
	"翟", "宁", "房", "毕", "鹿", "田", "曹", "邢", "谢", "姜", "魏", "贾", "任", "丁", "窦", "侯",
}

// Given-name characters by sex and generation (born before 1970 or later).
var (
	maleOld     = []string{"德", "福", "顺", "贵", "有", "明", "长", "山", "义", "忠", "学", "庆", "玉", "兴", "成", "光", "春", "国", "文", "宝", "永", "传", "金", "建", "林"}
	maleYoung   = []string{"浩", "宇", "轩", "博", "文", "涛", "鹏", "俊", "磊", "强", "伟", "杰", "鑫", "超", "晨", "洋", "凯", "帅", "斌", "哲", "睿", "泽", "铭", "子", "一"}
	femaleOld   = []string{"秀", "兰", "英", "桂", "芳", "凤", "珍", "玉", "荣", "梅", "花", "霞", "云", "淑", "华", "翠", "爱", "香", "琴", "莲", "美", "素", "敏", "红", "丽"}
	femaleYoung = []string{"欣", "怡", "雨", "涵", "婷", "静", "丽", "娜", "佳", "琪", "萱", "梦", "雪", "悦", "晴", "慧", "璐", "颖", "倩", "瑶", "诗", "可", "心", "彤", "妍"}
)

// givenName draws a one- or two-character given name fitting sex and birth year.
func givenName(r *rand.Rand, sex byte, birthYear int) string {
	var pool []string
	switch {
	case sex == 'M' && birthYear < 1970:
		pool = maleOld
	case sex == 'M':
		pool = maleYoung
	case birthYear < 1970:
		pool = femaleOld
	default:
		pool = femaleYoung
	}
	if r.IntN(10) < 3 {
		return pool[r.IntN(len(pool))]
	}
	return pool[r.IntN(len(pool))] + pool[r.IntN(len(pool))]
}

// drawSurname draws a family name.
func drawSurname(r *rand.Rand) string { return surnames[r.IntN(len(surnames))] }
