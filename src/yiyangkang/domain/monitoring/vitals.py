"""What devices measure (体征与环境指标): one table of vitals with their code, unit and plausible range.

Clinical vitals carry their LOINC code and UCUM unit (HL7 FHIR vital-signs profile); measurements that LOINC
has no plain code for (sleep stage, in bed, room air) carry a local `yyk-` code. A value outside
`low … high` cannot come from a living person or a working sensor and is refused at the door."""

from __future__ import annotations

from enum import StrEnum

from attrs import frozen


class Vital(StrEnum):
    SYSTOLIC = "systolic"  # 收缩压
    DIASTOLIC = "diastolic"  # 舒张压
    HEART_RATE = "heart_rate"  # 心率
    SPO2 = "spo2"  # 血氧饱和度
    BODY_TEMPERATURE = "body_temp"  # 体温
    RESPIRATORY_RATE = "resp_rate"  # 呼吸频率
    BLOOD_GLUCOSE = "glucose"  # 血糖
    WEIGHT = "weight"  # 体重
    STEPS = "steps"  # 步数
    SLEEP_STAGE = "sleep_stage"  # 睡眠状态 0 清醒 1 浅睡 2 深睡 3 快速眼动
    SLEEP_SCORE = "sleep_score"  # 睡眠评分
    IN_BED = "in_bed"  # 在床 1 / 离床 0
    PRESENCE = "presence"  # 有人 1 / 无人 0
    LATITUDE = "lat"  # 纬度 (WGS-84)
    LONGITUDE = "lon"  # 经度 (WGS-84)
    PM25 = "pm25"  # PM2.5
    CO2 = "co2"  # 二氧化碳
    TVOC = "tvoc"  # 总挥发性有机物
    ROOM_TEMPERATURE = "room_temp"  # 室温
    HUMIDITY = "humidity"  # 湿度
    BATTERY = "battery"  # 电量


@frozen
class VitalSpec:
    code: str  # LOINC, or a local yyk- code
    unit: str  # UCUM
    label: str
    low: float
    high: float
    health: bool = True  # personal health data (PIPL): masked outside the care relation


VITALS: dict[Vital, VitalSpec] = {
    Vital.SYSTOLIC: VitalSpec("8480-6", "mm[Hg]", "收缩压", 40, 300),
    Vital.DIASTOLIC: VitalSpec("8462-4", "mm[Hg]", "舒张压", 20, 200),
    Vital.HEART_RATE: VitalSpec("8867-4", "/min", "心率", 20, 300),
    Vital.SPO2: VitalSpec("2708-6", "%", "血氧饱和度", 50, 100),
    Vital.BODY_TEMPERATURE: VitalSpec("8310-5", "Cel", "体温", 30, 45),
    Vital.RESPIRATORY_RATE: VitalSpec("9279-1", "/min", "呼吸频率", 0, 80),
    Vital.BLOOD_GLUCOSE: VitalSpec("15074-8", "mmol/L", "血糖", 1, 40),
    Vital.WEIGHT: VitalSpec("29463-7", "kg", "体重", 20, 300),
    Vital.STEPS: VitalSpec("41950-7", "{steps}", "步数", 0, 200_000),
    Vital.SLEEP_STAGE: VitalSpec("yyk-sleep-stage", "{stage}", "睡眠状态", 0, 3),
    Vital.SLEEP_SCORE: VitalSpec("yyk-sleep-score", "{score}", "睡眠评分", 0, 100),
    Vital.IN_BED: VitalSpec("yyk-in-bed", "{bool}", "在床", 0, 1),
    Vital.PRESENCE: VitalSpec("yyk-presence", "{bool}", "有人", 0, 1),
    Vital.LATITUDE: VitalSpec("yyk-latitude", "deg", "纬度", -90, 90),
    Vital.LONGITUDE: VitalSpec("yyk-longitude", "deg", "经度", -180, 180),
    Vital.PM25: VitalSpec("yyk-pm25", "ug/m3", "PM2.5", 0, 2000, health=False),
    Vital.CO2: VitalSpec("yyk-co2", "[ppm]", "二氧化碳", 0, 20_000, health=False),
    Vital.TVOC: VitalSpec("yyk-tvoc", "mg/m3", "TVOC", 0, 100, health=False),
    Vital.ROOM_TEMPERATURE: VitalSpec("yyk-room-temp", "Cel", "室温", -40, 70, health=False),
    Vital.HUMIDITY: VitalSpec("yyk-humidity", "%", "湿度", 0, 100, health=False),
    Vital.BATTERY: VitalSpec("yyk-battery", "%", "电量", 0, 100, health=False),
}


def implausible(vital: Vital, value: float) -> str | None:
    """Why `value` cannot be a reading of `vital`, or None when it can."""
    spec = VITALS[vital]
    if value != value or value in (float("inf"), float("-inf")):
        return f"{spec.label}不是有效数值"
    if not spec.low <= value <= spec.high:
        return f"{spec.label} {value:g} 超出可能范围 {spec.low:g}–{spec.high:g} {spec.unit}"
    return None
