"""An office tree for jurisdiction tests: a province with a city of two districts, a second city with one
district, the national office above all, a regulator in each, and platforms domiciled in the districts."""

from dataclasses import dataclass

from portal.models import Office, OfficeLevel, User
from portal.offices import national_office
from portal.roles import make_regulator
from tests.factories import PlatformFactory, RegulatorFactory


@dataclass
class Tree:
    national: Office
    province: Office
    city: Office  # a receiving centre
    district_a: Office
    district_b: Office
    other_city: Office
    cousin: Office  # a district of the other city
    regulators: dict[str, User]

    def regulator(self, name: str) -> User:
        return self.regulators[name]


def _office(code, level, parent, name, prefix="", receiving=False) -> Office:
    return Office.objects.create(
        division_code=code,
        level=level,
        parent=parent,
        name=name,
        short_name=name[-8:],
        penalty_number_prefix=prefix,
        is_receiving_centre=receiving,
    )


def build_tree() -> Tree:
    national = national_office()
    province = _office("330000", OfficeLevel.PROVINCE, national, "浙江省市场监督管理局", "浙市监处罚", True)
    city = _office("330100", OfficeLevel.CITY, province, "杭州市市场监督管理局", "杭市监处罚", True)
    district_a = _office("330106", OfficeLevel.COUNTY, city, "杭州市西湖区市场监督管理局", "杭西市监处罚")
    district_b = _office("330108", OfficeLevel.COUNTY, city, "杭州市滨江区市场监督管理局", "杭滨市监处罚")
    other_city = _office("330200", OfficeLevel.CITY, province, "宁波市市场监督管理局", "甬市监处罚", True)
    cousin = _office("330203", OfficeLevel.COUNTY, other_city, "宁波市海曙区市场监督管理局", "甬海市监处罚")
    regulators = {}
    for name, office in [
        ("national", national),
        ("province", province),
        ("city", city),
        ("a", district_a),
        ("b", district_b),
        ("cousin", cousin),
    ]:
        user = RegulatorFactory(username=f"reg-{name}", office=office)
        make_regulator(user)
        regulators[name] = user
    return Tree(national, province, city, district_a, district_b, other_city, cousin, regulators)


def platform_in(office: Office, **fields):
    return PlatformFactory(domicile_code=office.division_code, **fields)
