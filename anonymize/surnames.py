"""Chinese surnames, the anchor of the personal-name detector.

A person's name is a surname followed by one to three given-name characters. Ordinary
words and place names start with almost any character, so requiring a common surname in
front is what separates a column of names from a column of cities or products. The list
is a frequency ranking (the first ~200 cover more than 90% of the population); a name
with a rarer surname is still caught when the column's header says it holds names.
"""

# About 200 most common single-character surnames, most frequent first.
COMMON_SURNAMES: frozenset[str] = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许邓韩冯曹彭曾肖田董潘袁蔡蒋余于杜叶"
    "程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛"
    "郝顾龚邵万覃武钱戴严欧莫孔向常汤康易乔赖文施洪辛柳庞樊殷兰季齐牛安葛温耿鲁聂章倪包颜童"
    "宁关伍柯翟祝詹申左岳焦俞阮纪梅舒甘单符尚凌毕裴霍涂成苗谷盛曲翁冉骆蓝路游靳管柴蒙鲍华喻"
    "祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
)

# Two-character surnames. Many start with a character that is not a surname on its own
# (上官, 皇甫, 令狐), so they are matched on the first two characters.
COMPOUND_SURNAMES: frozenset[str] = frozenset(
    [
        "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
        "宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离", "端木", "独孤", "南宫", "西门",
        "申屠", "澹台", "公冶", "濮阳", "太史", "闻人", "呼延", "万俟", "赫连", "拓跋",
        "百里", "东郭", "左丘", "第五", "谷梁", "段干", "羊舌", "司空", "乐正", "单于",
    ]
)  # fmt: skip

# Final characters of place and organisation names (北京市, 朝阳区, 建国路, 旗舰店). A value
# ending in one is rejected even when its first character is a surname (苏州市, 金华县).
NON_NAME_SUFFIXES: frozenset[str] = frozenset("省市区县镇乡村路街巷号楼店厂司局院馆园站港")
