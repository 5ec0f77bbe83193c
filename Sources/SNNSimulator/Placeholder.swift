import SNNModel
