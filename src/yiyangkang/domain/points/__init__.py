"""Points (积分, M-07, P-07…P-10, S-10).

Glossary:
- points (积分): a unit of their own, never money; every movement is a ledger posting in the `points` purse;
  they are issued by the platform's points fund (`issuer:platform:points`, which may go negative) and go back
  to it when spent;
- points activity (积分活动): an event an institution publishes (title, time, place, capacity, enrolment window,
  points per attendance); elders enrol (活动报名) and earn the points when the institution checks their
  attendance (签到);
- points good (积分商品): something an institution hands out for points, with stock and an optional per-elder
  limit; an exchange (兑换) spends the points and takes the stock in one unit of work, and is delivered (发放)
  or cancelled (points and stock come back);
- service points (服务积分, S-10): what staff earn per settlement period (a calendar month in Shanghai) from
  the average of their ratings: exactly 5 stars → 3 points, at least 4 → 1, else 0.
"""
