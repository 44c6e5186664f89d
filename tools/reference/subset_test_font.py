"""A small CJK font for the OCR tests, so they render Chinese text without any system CJK font.

Subsets Noto Sans SC Regular (SIL Open Font License 1.1) to printable ASCII plus the Chinese characters
the tests use. The full font comes from the npm package @expo-google-fonts/noto-sans-sc (fetched once
at dev time with `npm pack`, not a dependency of the project).

Run from the repository root with Debian's Python (python3-fonttools):
    npm pack @expo-google-fonts/noto-sans-sc --pack-destination /tmp
    tar xzf /tmp/expo-google-fonts-noto-sans-sc-*.tgz -C /tmp package/400Regular/NotoSansSC_400Regular.ttf
    /usr/bin/python3 tools/reference/subset_test_font.py /tmp/package/400Regular/NotoSansSC_400Regular.ttf
Writes src/models/providers/tesseract/test-support/fonts/NotoSansSC-test-subset.ttf. Keep the
character list in step with the texts in src/models/providers/tesseract/test-support/render-text.ts.
"""
import sys

from fontTools import subset
from fontTools.ttLib import TTFont

OUT = "src/models/providers/tesseract/test-support/fonts/NotoSansSC-test-subset.ttf"
CHINESE = "今天天气很好我们一起去公园吧手机型号和系统版本。，！？："


def main():
    text = "".join(chr(code) for code in range(0x20, 0x7F)) + CHINESE
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.hinting = False
    font = TTFont(sys.argv[1])
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    font.save(OUT)


if __name__ == "__main__":
    main()
