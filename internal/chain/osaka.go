package chain

import (
	"math/big"

	"github.com/ethereum/go-ethereum/params"
)

// OsakaConfig returns a fresh copy of go-ethereum's dev chain configuration
// (params.AllDevChainProtocolChanges, chain id 1337) with Osaka active from
// genesis and every later fork switched off: the BPO blob forks, Amsterdam,
// Bogota and the binary-trie transition. go-ethereum's dev chains enable a
// future fork by default, whose gas schedule is not what mainnet charges, so
// gas measured under it would not be Osaka gas.
//
// The embedded simulated chain runs it; internal/gethtest starts geth with a
// genesis built on it; contract tests and benchmarks that use go-ethereum's
// simulated backend directly pass it as ethConf.Genesis.Config. The caller may
// modify the copy.
func OsakaConfig() *params.ChainConfig {
	c := *params.AllDevChainProtocolChanges
	// The copy shares the global's *big.Int fields: give it its own.
	for _, f := range []**big.Int{
		&c.ChainID, &c.HomesteadBlock, &c.DAOForkBlock, &c.EIP150Block, &c.EIP155Block,
		&c.EIP158Block, &c.ByzantiumBlock, &c.ConstantinopleBlock, &c.PetersburgBlock,
		&c.IstanbulBlock, &c.MuirGlacierBlock, &c.BerlinBlock, &c.LondonBlock,
		&c.ArrowGlacierBlock, &c.GrayGlacierBlock, &c.MergeNetsplitBlock,
		&c.TerminalTotalDifficulty,
	} {
		if *f != nil {
			*f = new(big.Int).Set(*f)
		}
	}
	at0 := func() *uint64 { return new(uint64) }
	c.ShanghaiTime, c.CancunTime, c.PragueTime, c.OsakaTime = at0(), at0(), at0(), at0()
	c.BPO1Time, c.BPO2Time, c.BPO3Time, c.BPO4Time, c.BPO5Time = nil, nil, nil, nil, nil
	c.AmsterdamTime, c.BogotaTime, c.UBTTime = nil, nil, nil
	c.EnableUBTAtGenesis = false
	if c.BlobScheduleConfig != nil {
		bsc := *c.BlobScheduleConfig
		bsc.BPO1, bsc.BPO2, bsc.BPO3, bsc.BPO4, bsc.BPO5 = nil, nil, nil, nil, nil
		c.BlobScheduleConfig = &bsc
	}
	return &c
}
