"""Party names (当事人): cleaning, classification and masking of natural persons.

Natural persons named in decisions are masked by default in everything the
warehouse and the dashboard show: 「李明」 becomes 「李某」. The rule that decides
whether a short string is a person is in `looks_like_person`. A person's name has
2–4 Han characters, starts with a common surname and does not end with an
organisation suffix, or is already masked by the regulator (张某, 陈某香, 张*, 陈X).
Brands written
without a legal form (腾讯) are not persons under this rule and get type "unknown".
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from etl.models import ParseWarning

logger = logging.getLogger(__name__)

FIELD = "party"

PartyType = Literal["company", "individual", "institution", "unknown"]

HAN = r"\u3400-\u4dbf\u4e00-\u9fff"

PREFIX = re.compile(r"^(?:被处罚)?当事人(?:名称|姓名)?\s*[:：]\s*")
TRAILING_PUNCTUATION = "，,；;：:。、 "

PLACEHOLDERS = frozenset({"—", "——", "-", "--", "－", "/", "／", "无", "暂无", "空", "不详", "未知", "null", "None", "N/A", "n/a"})

# Cells of app lists and tables that are headings, notes or shifted store fields,
# seen in the operator column of MIIT app lists (2026-12-04): 附件1, 责令整改通知书,
# 2021年10月22日前完成整改, 1.0.1, 应用宝, 微信小程序.
NOT_A_NAME = (
    re.compile(r"^(?:附件|附表)\s*\d*$"),
    re.compile(r"^(?:序号|当事人|当事人名称|开发者|运营者|开发运营者|运营主体|开发者名称|APP名称|应用名称|备注|合计|名单|责令整改通知书)$", re.IGNORECASE),
    re.compile(r"^[\d.\s]+$"),
    re.compile(r"整改$"),
    re.compile(r"[的了]$"),
    re.compile(r"(?:应用商店|应用市场|应用宝|小程序)$", re.IGNORECASE),
)

# Brackets that state a legal form, not an affiliation: 代理事务所（普通合伙）.
LEGAL_FORM_BRACKET = re.compile(r"（(?:普通合伙|有限合伙|特殊普通合伙|个人独资|个体工商户)）$")

# Roles in brackets after a person (张*（个人开发者）), which are not an affiliation.
PERSON_ROLES = frozenset({"个人开发者", "个人", "自然人", "个体工商户", "个体", "开发者"})

# Identity details in brackets (陈X（身份证号码：4210XXXX）) are neither an affiliation nor shown.
IDENTITY_NOTE = re.compile(r"身份证|证件|\d{4,}")

COMPANY_SUFFIXES = (
    "有限公司", "有限责任公司", "股份公司", "公司", "集团", "普通合伙", "有限合伙", "合伙企业",
    "事务所", "商行", "经营部", "批发部", "租赁部", "门市部", "服务部", "商店", "超市", "店",
    "餐馆", "酒楼", "工作室", "厂", "加油站", "气站", "银行", "信用社", "联合社", "俱乐部",
    "美容院", "诊所", "药房", "商城", "企业",
)
COMPANY_LATIN = re.compile(r"\b(?:co\.?|ltd\.?|limited|inc\.?|lnc\.?|llc|corp\.?|corporation|gmbh|company)\W*$", re.IGNORECASE)

INSTITUTION_SUFFIXES = (
    "医院", "学校", "大学", "学院", "幼儿园", "研究院", "研究所", "科学院", "协会", "学会",
    "委员会", "局", "厅", "人民政府", "政府", "办事处", "办公室", "法院", "检察院", "电视台",
    "广播电台", "广播电视总台", "报社", "杂志社", "博物馆", "图书馆", "纪念馆", "讲师团",
    "宣传部", "组织部", "统战部", "检验所", "卫生院", "事业单位",
)
# A 中心 is a public body when its name says what it serves; business 中心 names
# (软件开发中心, 美容美发中心) count as companies.
PUBLIC_CENTRE = re.compile(r"(?:融媒体|传媒|新闻|政务服务|数据|信息|指挥|收费|检测|疾病预防控制|健身服务|场馆服务|公积金管理|发展|广播电视|便民服务|管理|交易|保障|监测|急救|气象)中心$")
CENTRE = "中心"
BUSINESS_CENTRE = re.compile(r"(?:技术|软件|网络|培训|美容|美发|开发|咨询|商贸|科技|文化|传媒|营销)")

# Names cut short by a line or page break: 网络科技有限, 北京立奇科技.
INCOMPLETE_COMPANY = re.compile(r"(?:有限|有限公|有限责任|有限责任公|科技|科技有|科|网络|信息|技术|文化|数据|教育|医药|传媒|体育)$")

ORGANISATION_ENDINGS = (
    "公司", "店", "局", "院", "会", "所", "社", "部", "厂", "行", "中心", "站", "馆", "台",
    "厅", "处", "室", "队", "校", "团", "委", "办", "园", "组",
)

COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 夏侯 轩辕 端木 独孤 "
    "南宫 西门 百里 呼延 万俟 司空 澹台 闻人 申屠 太史 钟离 宗政 公冶 赫连 第五".split()
)
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧"
    "耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍"
    "华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏"
    "宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈"
    "匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜阚权强帅屠豆朴盖练廉"
    "禹井祖漆巴丰支卿狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊母裘亓修邰赫杭"
    "况那宿鲜印逯隆茹诸战慕危银亢嵇湛宾戎勾茅利居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧"
)

# Well-known brands written without a legal form whose first character is also a
# surname; they must not be masked as persons.
BRANDS = frozenset({"华为", "京东", "百度", "腾讯", "阿里", "美团", "滴滴", "抖音", "快手", "淘宝", "携程", "小米", "网易", "新浪", "搜狐", "知乎", "微信", "支付宝", "闲鱼", "高德", "唯品会", "苏宁", "国美", "万达", "平安"})

ALREADY_MASKED = re.compile(rf"某|[*＊]|(?:^|(?<=[{HAN}]))[XxＸ×]+(?=$|[{HAN}])|[XＸ×]{{2,}}")
MASKED_PERSON = re.compile(rf"^(?:[{HAN}]{{1,2}}(?:某+|[*＊]+|[XxＸ×]+)[{HAN}]{{0,2}}|[XＸ×]某+|某+)$")
PLAIN_PERSON = re.compile(rf"^[{HAN}]{{2,4}}$")
MINORITY_PERSON = re.compile(rf"^[{HAN}]{{1,6}}·[{HAN}]{{1,6}}(?:·[{HAN}]{{1,6}})?$")
TRAILING_BRACKET = re.compile(r"^(?P<head>.+?)（(?P<inner>[^（）]*(?:（[^（）]*）[^（）]*)*)）$")

SEPARATORS = frozenset("、；;\n\r，")
OPENING = frozenset("（(【[《“")
CLOSING = frozenset("）)】]》”")


@dataclass(frozen=True)
class Party:
    """A party (当事人) as it will be shown: masked name, type, and the raw string.

    `name` is None for placeholders and headings. `masked` is True when the name
    hides a natural person, whether the regulator or this module masked it.
    `affiliation` is the company in brackets after a staff member's name.
    """

    name: str | None
    party_type: PartyType
    masked: bool
    affiliation: str | None
    raw: str


def _remove_break_spaces(text: str) -> str:
    """Drop spaces next to a non-ASCII character; keep those between Latin words."""
    collapsed = re.sub(r"\s+", " ", text)
    return re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", collapsed)


def _strip_trailing(text: str) -> str:
    """Strip trailing punctuation, keeping the full stop of Latin abbreviations (Ltd.)."""
    text = text.rstrip(TRAILING_PUNCTUATION)
    while text.endswith(".") and (len(text) == 1 or not text[-2].isascii()):
        text = text[:-1].rstrip(TRAILING_PUNCTUATION)
    return text


def clean_party_name(raw: str) -> str:
    """Clean a party name: drop line-break spaces, use full-width brackets, strip 当事人： and punctuation.

    「北京七彩拇指科技有限公 司」 gives 「北京七彩拇指科技有限公司」; spaces between Latin
    words stay (「Beijing Apa Kelan Technology Group Co., Ltd.」).
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    text = text.replace("(", "（").replace(")", "）")

    text = PREFIX.sub("", text)
    text = _remove_break_spaces(text).strip()
    return _strip_trailing(text)


def is_masked(name: str) -> bool:
    """Tell whether a name already hides characters (某, *, X runs)."""
    return bool(ALREADY_MASKED.search(name))


def _surname_length(name: str) -> int:
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return 2
    return 1


def looks_like_person(name: str) -> bool:
    """Tell whether a cleaned string is a natural person's name under this module's rule.

    Masked forms (张某, 陈某香, 张*, 冯**, 陈X, X某, 某某) are persons. A plain string
    of 2–4 Han characters is a person when it starts with a common surname, does not
    end with an organisation suffix and is not a listed brand. Han names joined by
    「·」 (ethnic minority names) are persons too.
    """
    if MASKED_PERSON.match(name):
        return True

    if MINORITY_PERSON.match(name):
        return True

    if not PLAIN_PERSON.match(name) or name in BRANDS:
        return False
    if name.endswith(ORGANISATION_ENDINGS):
        return False
    return name[0] in SURNAMES or name[:2] in COMPOUND_SURNAMES


def mask_person_name(name: str) -> str:
    """Mask a natural person's name: keep the surname, one 「某」 per other character.

    「李明」 gives 「李某」, 「欧阳娜娜」 gives 「欧阳某某」. Names already masked (张某, X某,
    ***) and single characters come back unchanged. In names in other scripts the
    first character stays and every other letter or digit becomes 「*」.
    """
    text = name.strip()
    if len(text) < 2 or is_masked(text):
        return text

    if not re.search(rf"[{HAN}]", text):
        return text[0] + re.sub(r"[^\W_]", "*", text[1:])

    keep = _surname_length(text)
    rest = re.sub(rf"[{HAN}]", "某", text[keep:])
    return text[:keep] + rest


def mask_names_in_text(text: str, names: list[str]) -> str:
    """Replace every occurrence of the given real names in a text with their masked forms.

    Longer names are matched first, so 「李明辉」 is not masked as 「李某飞」 when 「李明」 is
    also given. Empty and already masked names are ignored.
    """
    replacements = {
        name: mask_person_name(name)
        for name in (name.strip() for name in names)
        if len(name) >= 2 and not is_masked(name)
    }
    if not text or not replacements:
        return text

    ordered = sorted(replacements, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(name) for name in ordered))
    return pattern.sub(lambda match: replacements[match.group(0)], text)


def split_parties(raw: str) -> list[str]:
    """Split a field naming several parties into one string per party.

    Separators are 、, ；, ;, ， and line breaks outside brackets, so
    「谢某升（广发银行股份有限公司零售信贷部、零售业务管理部）」 stays whole.
    """
    return [part.strip() for part in split_outside_brackets(raw, SEPARATORS) if part.strip()]


def split_outside_brackets(text: str, separators: str | set[str] | frozenset[str]) -> list[str]:
    """Split a text at the separator characters that stand outside (full- or half-width) brackets."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text or "":
        if char in OPENING:
            depth += 1
        elif char in CLOSING:
            depth = max(depth - 1, 0)

        if char in separators and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def organisation_type(name: str) -> Literal["company", "institution"] | None:
    """Return the organisation type a name's suffix shows, or None when it shows none."""
    if LEGAL_FORM_BRACKET.search(name):
        return "company"

    base = name

    if base.startswith("中国人民银行") or base.startswith("人民银行"):
        return "institution"

    if base.endswith(CENTRE):
        if PUBLIC_CENTRE.search(base):
            return "institution"
        return "company" if BUSINESS_CENTRE.search(base) else "institution"

    if base.endswith(COMPANY_SUFFIXES) or COMPANY_LATIN.search(base):
        return "company"
    if base.endswith(INSTITUTION_SUFFIXES):
        return "institution"
    return None


def _warning(kind: str, raw: str, message: str) -> ParseWarning:
    return ParseWarning(kind=kind, field=FIELD, raw=raw, message=message)


def _not_a_name(cleaned: str) -> bool:
    return any(pattern.search(cleaned) for pattern in NOT_A_NAME)


def _person(name: str, raw: str, affiliation: str | None, mask_persons: bool) -> Party:
    display_name = mask_person_name(name) if mask_persons else name
    masked = mask_persons or is_masked(name)
    return Party(name=display_name, party_type="individual", masked=masked, affiliation=affiliation, raw=raw)


def _bracketed_person(cleaned: str, raw: str, mask_persons: bool) -> Party | None:
    """Classify 「张某（广发银行信用卡中心）」 and 「张*（个人开发者）」 as persons."""
    match = TRAILING_BRACKET.match(cleaned)
    if match is None or not looks_like_person(match["head"]):
        return None

    inner = match["inner"].strip()
    if not is_masked(match["head"]) and COMPANY_LATIN.search(inner):
        # A brand with its legal name: 雷霆游戏（Xiamen Leiting Network Technology Co., Ltd.）.
        return None

    affiliation = inner
    if not inner or inner in PERSON_ROLES or IDENTITY_NOTE.search(inner):
        affiliation = None
    return _person(match["head"], raw, affiliation, mask_persons)


def _organisation(cleaned: str, raw: str, mask_persons: bool) -> Party | None:
    """Classify an organisation, masking an operator's name in brackets (吴氏美容美发中心（王小明）)."""
    match = TRAILING_BRACKET.match(cleaned)
    head = match["head"] if match else cleaned
    unbracketed = cleaned.replace("（", "").replace("）", "")
    kind = organisation_type(head) or organisation_type(cleaned) or organisation_type(unbracketed)
    if kind is None:
        return None

    name = cleaned
    masked = is_masked(cleaned)
    operator_named = match is not None and not LEGAL_FORM_BRACKET.search(cleaned)
    if operator_named and looks_like_person(match["inner"]) and organisation_type(head):
        if mask_persons:
            name = f"{head}（{mask_person_name(match['inner'])}）"
        masked = masked or mask_persons or is_masked(match["inner"])
    return Party(name=name, party_type=kind, masked=masked, affiliation=None, raw=raw)


def classify_party(raw: str, mask_persons: bool = True) -> tuple[Party, list[ParseWarning]]:
    """Classify one party string as a company, individual, institution or unknown.

    Natural persons are masked when `mask_persons` is True (the default).
    Placeholders (「—」, 「无」) and headings (「附件1」) give name None with a
    `party_placeholder` or `party_not_a_name` warning; an empty string gives name
    None and no warning. A name cut short gives a `party_incomplete` warning and a
    name of no recognisable type a `party_type_unknown` warning.
    """
    cleaned = clean_party_name(raw)
    if not cleaned:
        return Party(None, "unknown", False, None, raw), []

    if cleaned in PLACEHOLDERS:
        warning = _warning("party_placeholder", raw, f"{raw!r} is a placeholder, not a party")
        return Party(None, "unknown", False, None, raw), [warning]

    if _not_a_name(cleaned):
        warning = _warning("party_not_a_name", raw, f"{raw!r} is a heading or note, not a party")
        return Party(None, "unknown", False, None, raw), [warning]

    party = _bracketed_person(cleaned, raw, mask_persons) or _organisation(cleaned, raw, mask_persons)
    if party is not None:
        return party, []

    if looks_like_person(cleaned):
        return _person(cleaned, raw, None, mask_persons), []

    if INCOMPLETE_COMPANY.search(cleaned) and len(cleaned) >= 4:
        warning = _warning("party_incomplete", raw, f"{cleaned!r} lacks its legal form; taken as a company")
        return Party(cleaned, "company", is_masked(cleaned), None, raw), [warning]

    warning = _warning("party_type_unknown", raw, f"no party type recognised in {cleaned!r}")
    logger.debug("no party type recognised in %r", cleaned)
    return Party(cleaned, "unknown", is_masked(cleaned), None, raw), [warning]
