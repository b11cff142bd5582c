"""Service quality (服务质量): the exception rules (异常规则) every kind of order is judged by.

Glossary:
- exception order (异常单): one broken rule of one order (dispatch timeout, late arrival, overtime, too short,
  shipping timeout), raised once by a re-runnable scan and reviewed by the institution;
- timeline (履约时间线): the instants of one order that the rules look at, whatever kind of order it is
  (a home-bed visit, a mall home visit, a parcel).
"""
