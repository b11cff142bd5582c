"""Home hospital bed (家庭病床, HB-01…HB-30, S-01…S-07).

Glossary:
- bed application (床位申请): an elder's or family's request for a home bed, reached by a QR code;
- contract (建床签约): the signed home bed — service plan, subsidy type, term; its status says whether
  the bed is in force (生效中);
- assessment (家床评估): a scored questionnaire (量表) mapping the elder to a care level;
- renovation (家床改造): ageing-friendly home works, dispatched per item to renovation staff;
- home-bed service order (家床服务订单): one visit of one service item from the plan;
- supplementary record (补录): a visit done off-system, entered afterwards and confirmed with the customer;
- exception order (异常单): an order that broke a service rule (dispatch timeout, late, overtime, too short);
- configuration (家床业务配置): service items, subsidies by region, renovation items, scales, settings.
"""
