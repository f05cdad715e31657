package state

// ReceiptsOfNode calls f for each receipt the Nomad node nodeID signed
// (by the receipts table's node index), until f returns false: what a
// donor's summary adds up without reading every receipt.
func (v *View) ReceiptsOfNode(nodeID string, f func(*ReceiptRecord) bool) {
	it, err := v.txn.Get(tableReceipts, "node", nodeID)
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !f(raw.(*ReceiptRecord)) {
			return
		}
	}
}
