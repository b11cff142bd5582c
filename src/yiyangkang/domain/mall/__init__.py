"""Service mall (医康养服务商城, M-01…M-05, A-01…A-08, A-13, P-01/P-02).

Glossary:
- product (商品/服务): what an institution sells, of one fulfilment type (履约方式): home visit (上门服务),
  in store (到店服务), delivery (配送货物) or self-pickup (自提货物);
- review (审核): every new product, package, buy-gift rule and every change to what buyers see passes a
  reviewer before it can be ordered; who reviews is configured (审核权限配置, A-03);
- service package (服务包/优惠套餐): products of one institution bundled at a package price;
- buy-gift rule (买赠规则): buy N of X, get M of Y free, within validity dates;
- mall configuration (商城配置): an institution's service and delivery areas, store and pickup addresses;
- trade order (交易单): one checkout, one payment; it splits into sub-orders (子订单), one per institution
  and fulfilment type, each with its own lines, fulfilment and after-sales;
- verification code (核销码): the code on the elder's phone (shown as a QR code) that staff verify when the
  service is rendered or the goods picked up;
- after-sales request (售后申请): refund only (仅退款) or return and refund (退货退款) of one line;
- rating (评价): the elder's stars and words on a completed sub-order (and on the staff who served it).
"""
