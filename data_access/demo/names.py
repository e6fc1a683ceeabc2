"""Name pools for the demo city 江城市 (Jiangcheng, a made-up city around 114.3°E 30.6°N).

Every pool holds (汉字, pinyin) pairs so that each generated unit has a Chinese name and an
English one. Nothing here is random: ``data_access.demo.city`` draws from these with its seeded RNG.
"""
from __future__ import annotations

CITY = ("江城市", "Jiangcheng City")

# 16 districts; the first ones are the old-town districts that pilot the programme.
DISTRICTS = [
    ("江北", "Jiangbei"), ("龟山", "Guishan"), ("月湖", "Yuehu"), ("江南", "Jiangnan"),
    ("东湖", "Donghu"), ("沙湖", "Shahu"), ("南湖", "Nanhu"), ("青山", "Qingshan"),
    ("汤湖", "Tanghu"), ("金银湖", "Jinyinhu"), ("后湖", "Houhu"), ("白沙", "Baisha"),
    ("长丰", "Changfeng"), ("梁湖", "Lianghu"), ("凤凰", "Fenghuang"), ("花山", "Huashan"),
]

# 街道 names; a station is "<name>街道派出所", addresses read "<district>区<name>街道…".
STREETS = [
    ("鹦鹉", "Yingwu"), ("晴川", "Qingchuan"), ("琴台", "Qintai"), ("钟家", "Zhongjia"), ("梅子", "Meizi"),
    ("紫阳", "Ziyang"), ("首义", "Shouyi"), ("粮道", "Liangdao"), ("积玉", "Jiyu"), ("大智", "Dazhi"),
    ("车站", "Chezhan"), ("球场", "Qiuchang"), ("永清", "Yongqing"), ("百步", "Baibu"), ("二七", "Erqi"),
    ("唐家", "Tangjia"), ("徐家", "Xujia"), ("杨园", "Yangyuan"), ("余家", "Yujia"), ("关山", "Guanshan"),
    ("卓刀", "Zhuodao"), ("珞珈", "Luojia"), ("桂子", "Guizi"), ("花桥", "Huaqiao"), ("新华", "Xinhua"),
    ("民主", "Minzhu"), ("中山", "Zhongshan"), ("解放", "Jiefang"), ("和平", "Heping"), ("建设", "Jianshe"),
    ("友谊", "Youyi"), ("长江", "Changjiang"), ("汉水", "Hanshui"), ("古田", "Gutian"), ("宝丰", "Baofeng"),
    ("常青", "Changqing"), ("三眼", "Sanyan"), ("石桥", "Shiqiao"), ("马场", "Machang"), ("丹水", "Danshui"),
    ("红旗", "Hongqi"), ("胜利", "Shengli"), ("复兴", "Fuxing"), ("光明", "Guangming"), ("朝阳", "Chaoyang"),
    ("向阳", "Xiangyang"), ("东风", "Dongfeng"), ("前进", "Qianjin"), ("幸福", "Xingfu"), ("五里", "Wuli"),
    ("六合", "Liuhe"), ("七星", "Qixing"), ("九龙", "Jiulong"), ("白玉", "Baiyu"), ("翠微", "Cuiwei"),
    ("锦绣", "Jinxiu"), ("文昌", "Wenchang"), ("书院", "Shuyuan"), ("桃源", "Taoyuan"), ("柳林", "Liulin"),
    ("梅园", "Meiyuan"), ("竹林", "Zhulin"), ("松柏", "Songbai"), ("青龙", "Qinglong"), ("白鹤", "Baihe"),
    ("金桥", "Jinqiao"), ("银湖", "Yinhu"), ("玉带", "Yudai"), ("状元", "Zhuangyuan"), ("太平", "Taiping"),
    ("安居", "Anju"), ("乐业", "Leye"), ("兴隆", "Xinglong"), ("丰收", "Fengshou"), ("新村", "Xincun"),
    ("南岸", "Nan'an"), ("北岸", "Bei'an"), ("东亭", "Dongting"), ("西亭", "Xiting"), ("水塔", "Shuita"),
    ("铁桥", "Tieqiao"), ("龙泉", "Longquan"), ("花园", "Huayuan"), ("果园", "Guoyuan"), ("茶港", "Chagang"),
    ("渔村", "Yucun"), ("码头", "Matou"), ("铁路", "Tielu"), ("机场", "Jichang"), ("高新", "Gaoxin"),
    ("科技", "Keji"), ("学府", "Xuefu"), ("湖滨", "Hubin"), ("江滨", "Jiangbin"), ("滨湖", "Binhu"),
    ("沙洲", "Shazhou"), ("天河", "Tianhe"), ("星光", "Xingguang"), ("青年", "Qingnian"), ("红光", "Hongguang"),
    ("金港", "Jingang"), ("新港", "Xingang"), ("万松", "Wansong"), ("芦洲", "Luzhou"), ("梨园", "Liyuan"),
    ("杏林", "Xinglin"), ("荷花", "Hehua"), ("莲塘", "Liantang"), ("枫林", "Fenglin"), ("桂园", "Guiyuan"),
    ("狮山", "Shishan"), ("虎泉", "Huquan"), ("龙阳", "Longyang"), ("凤岭", "Fengling"), ("云林", "Yunlin"),
    ("晓港", "Xiaogang"), ("汇通", "Huitong"), ("永安", "Yong'an"), ("长乐", "Changle"), ("福安", "Fu'an"),
    ("宁康", "Ningkang"), ("泰和", "Taihe"), ("荣华", "Ronghua"), ("瑞祥", "Ruixiang"), ("鸿福", "Hongfu"),
    ("庆丰", "Qingfeng"), ("三里", "Sanli"), ("八角", "Bajiao"), ("十里", "Shili"), ("白马", "Baima"),
    ("青石", "Qingshi"), ("金盆", "Jinpen"), ("南门", "Nanmen"), ("北门", "Beimen"), ("东门", "Dongmen"),
]

# community = first + second + "社区" (e.g. 桃源社区 Taoyuan Community)
COMMUNITY_FIRST = [
    ("新", "Xin"), ("东", "Dong"), ("西", "Xi"), ("南", "Nan"), ("北", "Bei"), ("和", "He"), ("安", "An"),
    ("康", "Kang"), ("福", "Fu"), ("兴", "Xing"), ("春", "Chun"), ("秋", "Qiu"), ("桃", "Tao"), ("李", "Li"),
    ("梅", "Mei"), ("竹", "Zhu"), ("松", "Song"), ("柏", "Bai"), ("翠", "Cui"), ("锦", "Jin"), ("华", "Hua"),
    ("盛", "Sheng"), ("丰", "Feng"), ("宁", "Ning"), ("平", "Ping"), ("泰", "Tai"), ("荣", "Rong"),
    ("祥", "Xiang"), ("瑞", "Rui"), ("鸿", "Hong"), ("金", "Jin"), ("银", "Yin"), ("玉", "Yu"), ("云", "Yun"),
    ("星", "Xing"), ("月", "Yue"), ("阳", "Yang"), ("光", "Guang"), ("明", "Ming"), ("清", "Qing"),
    ("碧", "Bi"), ("紫", "Zi"), ("青", "Qing"), ("红", "Hong"), ("白", "Bai"), ("长", "Chang"), ("永", "Yong"),
    ("万", "Wan"), ("百", "Bai"), ("双", "Shuang"), ("凤", "Feng"), ("龙", "Long"), ("鹤", "He"),
    ("燕", "Yan"), ("莲", "Lian"), ("荷", "He"), ("枫", "Feng"), ("杨", "Yang"), ("柳", "Liu"), ("石", "Shi"),
]
COMMUNITY_SECOND = [
    ("园", "yuan"), ("苑", "yuan"), ("湾", "wan"), ("坊", "fang"), ("里", "li"), ("村", "cun"), ("桥", "qiao"),
    ("岭", "ling"), ("湖", "hu"), ("港", "gang"), ("林", "lin"), ("庭", "ting"), ("城", "cheng"), ("台", "tai"),
    ("景", "jing"), ("山", "shan"), ("河", "he"), ("塘", "tang"), ("洲", "zhou"), ("亭", "ting"), ("源", "yuan"),
    ("泉", "quan"), ("溪", "xi"), ("街", "jie"), ("巷", "xiang"), ("府", "fu"), ("居", "ju"), ("都", "du"),
    ("阁", "ge"), ("庄", "zhuang"), ("田", "tian"), ("坡", "po"), ("岗", "gang"), ("堤", "di"), ("畈", "fan"),
    ("嘴", "zui"), ("口", "kou"), ("门", "men"), ("院", "yuan"), ("苗", "miao"),
]
ORDINALS = [("一", "I"), ("二", "II"), ("三", "III"), ("四", "IV"), ("五", "V"), ("六", "VI")]

ROADS = ["解放大道", "中山大道", "建设大道", "友谊路", "江汉路", "新华路", "民主路", "长江路", "沿江大道",
         "和平大道", "珞瑜路", "雄楚大道", "光谷大道", "汉阳大道", "武胜路", "胜利街", "黄鹤路", "复兴路"]

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯婷雪琳晨欣怡涵梓轩思雨"
         "佳颖俊豪博然嘉宏海波峰春燕金凤丹亮成林德福贵荣慧珍琪瑶晓东阳光瑞祥安康")

# Region codes (first 6 digits of an ID number): mostly the city's own, some from other places.
LOCAL_REGIONS = ["420102", "420103", "420104", "420105", "420106", "420107", "420111", "420112", "420113",
                 "420114", "420115", "420116", "420117"]
OTHER_REGIONS = ["420821", "421023", "421127", "420984", "430102", "430621", "360102", "410102", "411302",
                 "500101", "510104", "340104", "421281", "422801"]

# Need categories (codes of data_access.fieldwork.needs.CATEGORIES), relative frequency, typical descriptions.
NEEDS = [
    ("security", 22, ["楼道照明损坏，夜间出行不安全", "小区门禁失灵，外来人员随意进出", "背街小巷缺少监控，希望加装",
                      "电动车在楼道违规充电", "消防通道被占用", "群租房安全隐患，请求核查"]),
    ("dispute", 14, ["楼上噪音扰民，多次沟通未果", "邻居占用公共楼道堆放杂物引发矛盾", "物业费纠纷，请求调解"]),
    ("lighting", 12, ["路灯不亮", "小区主干道照明不足", "地下车库照明损坏"]),
    ("anti_fraud", 12, ["老人接到可疑电话，希望民警上门讲解防诈知识", "家人疑似参与网络刷单，请求劝阻"]),
    ("elderly_care", 10, ["独居老人希望定期探访", "高龄老人行动不便，需要上门办理业务"]),
    ("emergency_alarm", 4, ["一键报警：独居老人在家摔倒，无法起身", "一键报警：有陌生人反复敲门，老人害怕"]),
    ("disability", 4, ["残疾人家庭需要政策咨询", "无障碍通道被占用"]),
    ("employment", 4, ["刑满释放人员希望获得就业帮扶", "失业人员咨询就业培训"]),
    ("environment", 8, ["垃圾清运不及时", "夜间施工噪音扰民", "小区周边乱停车堵塞通道"]),
    ("other", 10, ["咨询居住证办理流程", "身份证丢失，咨询补办", "子女落户材料咨询", "学校门口上下学时段拥堵，希望增派警力"]),
]

PRIVACY_COMPLAINTS = [
    ("hotline", "反映网格员在楼栋群中发布住户身份证照片"),
    ("app", "怀疑个人手机号被泄露给推销公司，要求核查走访登记信息的使用情况"),
    ("letter", "投诉走访民警未经同意拍摄室内照片"),
    ("visit", "要求查询本人信息被哪些人员查看过"),
    ("hotline", "反映社区公告栏张贴了重点人员名单"),
    ("other", "租户反映房东可查到其登记信息"),
]

RISK_REASONS = {
    "red": ["精神障碍患者，近期情绪不稳定", "社区矫正对象", "多次发生家庭暴力警情"],
    "yellow": ["刑满释放人员", "涉诈高风险人员", "长期上访，矛盾未化解"],
    "blue": ["独居老人", "留守儿童家庭", "重度残疾人", "困难家庭"],
}

VETO_EVENTS = [
    ("privacy_breach", True, "民警违规查询并外传住户身份信息，经核实属实"),
    ("enforcement_conflict", True, "入户访查中与群众发生冲突，造成不良影响"),
    ("complaints", False, "群众集中投诉夜间无预约入户，调查中"),
    ("privacy_breach", True, "访查记录表遗失导致住户信息泄露"),
]

MILESTONE_EVIDENCE = {
    "M2023-12": "市局科技部门完成数据接口对接，“一网通办”平台可查询走访记录（对接验收报告）",
    "M2024-03": "《入户访查工作规范（试行）》已印发（江城公〔2024〕12号）",
    "M2024-06": "3个试点区移动终端和数据共享接口调试完成，验收合格",
    "M2024-09": "试点社区协同工作站全部挂牌运行（验收清单）",
    "M2024-12": "全市社区警务移动终端配备到位，配备率100%（装备台账）",
    "M2025-01": "《入户访查考核办法》已印发，权重 40/30/30",
    "M2025-03": "市—区—所三级平台上线运行",
    "M2025-06": "全部社区完成系统部署，培训民警与网格员（培训签到表）",
    "M2025-09": "居民端 APP 上线，预约、查询、诉求提交功能可用",
    "M2026-03": "AI 助手异常预警模块上线试运行",
    "M2026-06": "服务流程优化方案印发，48 小时响应纳入日常调度",
    "M2026-09": "各社区警民共建活动台账齐全",
    "M2026-12": "《入户访查工作规范》修订稿印发",
}
MILESTONE_LATE_NOTES = {
    "M2024-09": "部分试点社区场地未落实，工作站建设滞后",
    "M2025-09": "居民端 APP 安全测评未通过，推广延期",
    "M2026-09": "部分社区活动次数不足 4 次，尚在补齐",
}
