"""The demo accounts ``seed_demo`` creates: the login page of a demo install lists them, the command prints them."""

from django.utils.translation import gettext_lazy as _

DEMO_ACCOUNTS = (
    ("demo-consumer", _("Consumer: files and follows complaints")),
    ("demo-platform", _("Manager of 演示卡盟: inbox, staff, API keys, webhooks")),
    ("demo-agent", _("Agent of 演示卡盟: answers complaints")),
    ("demo-platform-jisu", _("Manager of 极速卡盟")),
    ("demo-platform-xingyou", _("Manager of 星游点卡 (not verified)")),
    ("demo-regulator", _("National supervisor: every office's complaints, dashboard, admin, penalties")),
    ("demo-regulator-city", _("杭州市市场监督管理局: both districts' complaints, dispatch and designation")),
    ("demo-regulator-xihu", _("西湖区局: complaints about 演示卡盟 (domiciled in 西湖区)")),
    ("demo-regulator-binjiang", _("滨江区局: complaints about 极速卡盟 and 星游点卡 (滨江区)")),
)
