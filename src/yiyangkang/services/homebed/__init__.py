"""Home-bed use cases (家庭病床): configuration, applications, contracts, assessments, renovation,
service orders, exception scan and reports. Each module holds one part of the lifecycle."""
