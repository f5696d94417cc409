# The rulebook's two editions, apart from the tables' migration: on PostgreSQL rows written in a transaction
# leave deferred foreign-key checks pending, and the tables could not be altered in the same one.

from django.db import migrations

# The two editions as they stand in the law texts (Order 121 and the repealed Order 20), frozen here: a later
# edition is a later migration, never an edit of this one.
EDITIONS = [
    {
        "code": "order20",
        "title": "市场监督管理投诉举报处理暂行办法",
        "title_en": "Interim Measures for Handling Complaints and Reports in Market Regulation",
        "citation": "国家市场监督管理总局令第20号",
        "abbreviation": "令第20号",
        "abbreviation_en": "SAMR Order 20",
        "effective_from": "2020-01-01",
        "effective_until": "2026-04-14",
        # The portal's counting as it was: same time of day on the last working day. A refusal was free text.
        "clocks": [
            ("regulator_acceptance", 7, "working_days", "elapsed", "", 0, "第十四条", "Art. 14"),
            ("mediation", 45, "working_days", "elapsed", "", 0, "第二十一条", "Art. 21"),
        ],
        "grounds": [],
        "notices": [],
    },
    {
        "code": "order121",
        "title": "市场监督管理投诉举报处理办法",
        "title_en": "Measures for Handling Complaints and Reports in Market Regulation",
        "citation": "国家市场监督管理总局令第121号",
        "abbreviation": "令第121号",
        "abbreviation_en": "SAMR Order 121",
        "effective_from": "2026-04-15",
        "effective_until": None,
        "clocks": [
            ("regulator_acceptance", 7, "working_days", "article_45", "", 0, "第十五条", "Art. 15"),
            ("mediation", 60, "calendar_days", "article_45", "appraisal", 0, "第二十三条第一款第（五）项", "Art. 23(1)(5)"),
            ("termination_notice", 7, "working_days", "article_45", "", 0, "第二十三条第二款", "Art. 23(2)"),
            ("clue_check", 15, "working_days", "article_45", "", 15, "第二十七条", "Art. 27"),
        ],
        "grounds": [
            ("refusal", "art16_1", "第十六条第（一）项", "Art. 16(1)",
             "投诉事项不属于市场监督管理部门职责，或者本行政机关不具有处理权限的",
             "The matter is not within the duties of the market regulation authorities, or this authority has no "
             "power to handle it."),
            ("refusal", "art16_2", "第十六条第（二）项", "Art. 16(2)",
             "法院、仲裁机构、市场监督管理部门或者其他行政机关、消费者协会已经受理或者处理过同一消费者权益争议的",
             "A court, an arbitration body, a market regulation authority or another administrative authority, or a "
             "consumer association has already accepted or handled the same consumer rights dispute."),
            ("refusal", "art16_3", "第十六条第（三）项", "Art. 16(3)",
             "不是为生活消费需要购买、使用商品或者接受服务，或者不能证明与被投诉人之间存在消费者权益争议的",
             "The goods or services were not bought, used or received for daily consumption, or a consumer rights "
             "dispute with the respondent cannot be shown."),
            ("refusal", "art16_4", "第十六条第（四）项", "Art. 16(4)",
             "除法律另有规定外，投诉人知道或者应当知道自己的权益受到被投诉人侵害之日起超过三年的",
             "Unless the law provides otherwise, more than three years have passed since the complainant knew or "
             "should have known that the respondent infringed their rights."),
            ("refusal", "art16_5", "第十六条第（五）项", "Art. 16(5)",
             "未提供本办法第十条第一款、第十一条规定的材料，或者提供虚假材料的",
             "The materials required by Art. 10(1) and Art. 11 of these Measures were not provided, or false "
             "materials were provided."),
            ("refusal", "art16_6", "第十六条第（六）项", "Art. 16(6)",
             "冒用他人名义或者拒不配合市场监督管理部门核验真实身份信息的",
             "The complaint was made in another person's name, or the complainant refuses to cooperate with the "
             "authority's check of their real identity."),
            ("refusal", "art16_7", "第十六条第（七）项", "Art. 16(7)",
             "法律、法规、规章规定不予受理的其他情形",
             "Other cases in which laws, regulations or rules provide that a complaint is not accepted."),
            ("termination", "art23_1", "第二十三条第一款第（一）项", "Art. 23(1)(1)",
             "投诉人撤回投诉或者双方自行和解的",
             "The complainant withdrew the complaint, or the parties settled between themselves."),
            ("termination", "art23_2", "第二十三条第一款第（二）项", "Art. 23(1)(2)",
             "投诉人、被投诉人无正当理由不参加调解，或者明确拒绝调解的",
             "The complainant or the respondent does not take part in mediation without good reason, or expressly "
             "refuses mediation."),
            ("termination", "art23_3", "第二十三条第一款第（三）项", "Art. 23(1)(3)",
             "经组织调解，投诉人或者被投诉人明确表示无法达成调解协议的",
             "After mediation was organised, the complainant or the respondent expressly stated that no mediation "
             "agreement can be reached."),
            ("termination", "art23_4", "第二十三条第一款第（四）项", "Art. 23(1)(4)",
             "投诉人与被投诉人对鉴定、检测费用承担无法协商一致的",
             "The complainant and the respondent cannot agree on who bears the cost of an appraisal or test."),
            ("termination", "art23_5", "第二十三条第一款第（五）项", "Art. 23(1)(5)",
             "自投诉受理之日起六十日内投诉人和被投诉人未能达成调解协议的",
             "The complainant and the respondent did not reach a mediation agreement within 60 days of the "
             "complaint's acceptance."),
            ("termination", "art23_6", "第二十三条第一款第（六）项", "Art. 23(1)(6)",
             "市场监督管理部门受理投诉后，发现存在本办法第十六条、第四十二条规定情形的",
             "After accepting the complaint, the authority found a case under Art. 16 or Art. 42 of these "
             "Measures."),
            ("termination", "art23_7", "第二十三条第一款第（七）项", "Art. 23(1)(7)",
             "投诉人、被投诉人死亡或者主体资格灭失的",
             "The complainant or the respondent died, or ceased to exist as a legal entity."),
            ("termination", "art23_8", "第二十三条第一款第（八）项", "Art. 23(1)(8)",
             "法律、法规、规章规定的应当终止调解的其他情形",
             "Other cases in which laws, regulations or rules provide that mediation ends."),
        ],
        "notices": [
            ("refusal", "不予受理告知书", "pdf/notices/refusal.html", "第十五条", "Art. 15"),
            ("acceptance", "受理告知书", "pdf/notices/acceptance.html", "第十五条", "Art. 15"),
            ("termination", "终止调解告知书", "pdf/notices/termination.html", "第二十三条第二款", "Art. 23(2)"),
        ],
    },
]

# Regulator clocks that existed before the rulebook were computed with Order 20's lengths: they say so.
OLD_REGULATOR_CLOCKS = {"regulator_acceptance": "第十四条", "mediation": "第二十一条"}


def create_editions(apps, schema_editor):
    RuleEdition = apps.get_model("complaints", "RuleEdition")
    ClockRule = apps.get_model("complaints", "ClockRule")
    Ground = apps.get_model("complaints", "Ground")
    NoticeTemplate = apps.get_model("complaints", "NoticeTemplate")
    Deadline = apps.get_model("complaints", "Deadline")
    for data in EDITIONS:
        edition = RuleEdition.objects.create(
            **{key: value for key, value in data.items() if key not in ("clocks", "grounds", "notices")}
        )
        ClockRule.objects.bulk_create(
            ClockRule(
                edition=edition, kind=kind, length=length, unit=unit, counting=counting, paused_by=paused_by,
                extension_length=extension, article=article, article_en=article_en,
            )
            for kind, length, unit, counting, paused_by, extension, article, article_en in data["clocks"]
        )
        Ground.objects.bulk_create(
            Ground(edition=edition, kind=kind, code=code, article=article, article_en=article_en,
                   text_zh=text_zh, text_en=text_en)
            for kind, code, article, article_en, text_zh, text_en in data["grounds"]
        )
        NoticeTemplate.objects.bulk_create(
            NoticeTemplate(edition=edition, kind=kind, title=title, template_name=template_name, article=article,
                           article_en=article_en)
            for kind, title, template_name, article, article_en in data["notices"]
        )
    for kind, article in OLD_REGULATOR_CLOCKS.items():
        Deadline.objects.filter(kind=kind, edition__isnull=True).update(edition_id="order20", article=article)


def remove_editions(apps, schema_editor):
    apps.get_model("complaints", "Deadline").objects.update(edition=None, article="")
    apps.get_model("complaints", "RuleEdition").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("complaints", "0013_rulebook"),
    ]

    operations = [
        migrations.RunPython(create_editions, remove_editions),
    ]
