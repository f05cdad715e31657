// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title hpcbridge reward token and cumulative Merkle distributor
/// @notice One contract is both the ERC-20 reward token and its distributor: the coordinator's
/// publisher key publishes, once per epoch, the Merkle root of every donor wallet's CUMULATIVE
/// reward (OpenZeppelin StandardMerkleTree over (address, uint256) leaves); anyone may then
/// claim for a wallet, which mints the difference between the wallet's cumulative amount and
/// what it has claimed before. A wallet can claim once after many epochs.
/// @dev Gas shape (see docs/rewards.md for the measured numbers):
///  - a wallet's balance and its claimed total share one storage slot (`Account`), so a first
///    claim writes one fresh slot, a top-up rewrites it;
///  - the publisher, the current epoch and the pause flag share one slot, the latest root has
///    its own: a publish rewrites two existing slots and never allocates one. Earlier roots are
///    only in the `EpochPublished` events;
///  - the total supply shares a slot with a copy of the pause flag, so a claim touches three
///    slots (supply, root, account); that slot is never empty, so no claim creates it;
///  - the claim's proof walk and its two slot updates are written in assembly (OpenZeppelin's
///    MerkleProof.verifyCalldata and Solidity's struct copies cost ~1,500 gas more a claim
///    with a 100,000-wallet tree's proof).
/// OpenZeppelin's ERC20 keeps names, allowances and its errors; its own balance and supply
/// storage stays unused (`_update`, `balanceOf` and `totalSupply` are overridden).
/// The owner (admin; a Safe multi-signature wallet in production) rotates the publisher and
/// pauses; ownership moves in two steps (Ownable2Step).
contract RewardDistributor is ERC20, Ownable2Step {
    /// @dev A wallet's token balance and the cumulative amount it has claimed, in one slot.
    struct Account {
        uint128 balance;
        uint128 claimed;
    }

    /// @dev The slot every publish reads and writes.
    struct Hot {
        address publisher;
        uint64 epoch;
        bool paused;
    }

    /// @dev The slot every claim reads and writes: the total supply (at most 2^128-1) and a
    /// copy of the pause flag, so a claim reads no admin slot. `set` is always true: the slot
    /// is never empty, so even the first claim ever rewrites it instead of creating it.
    struct Supply {
        uint128 total;
        bool paused;
        bool set;
    }

    Hot private _hot;
    bytes32 private _root;
    Supply private _supply;
    mapping(address account => Account) private _accounts;

    /// @notice Epoch `epoch`'s cumulative root is now the contract's root.
    event EpochPublished(uint64 indexed epoch, bytes32 root);
    /// @notice `account` received `amount` new tokens; it has claimed `cumulativeAmount` in all.
    event Claimed(address indexed account, uint256 amount, uint256 cumulativeAmount);
    /// @notice The owner replaced the publisher.
    event PublisherChanged(address previous, address current);
    /// @notice The owner paused publishing and claiming.
    event Paused(address account);
    /// @notice The owner resumed publishing and claiming.
    event Unpaused(address account);

    /// @notice Only the publisher may publish; `caller` is not it.
    error NotPublisher(address caller);
    /// @notice Publishing and claiming are paused.
    error EnforcedPause();
    /// @notice unpause() while not paused.
    error ExpectedPause();
    /// @notice A publish must carry an epoch strictly newer than the current one.
    error EpochNotNewer(uint64 epoch, uint64 current);
    /// @notice A published root must not be zero.
    error ZeroRoot();
    /// @notice No root has been published yet.
    error NoRoot();
    /// @notice The proof does not lead from (account, cumulativeAmount) to the current root.
    error InvalidProof();
    /// @notice The account has already claimed `claimed`, which is not below `cumulative`.
    error NothingToClaim(uint256 cumulative, uint256 claimed);
    /// @notice Minting `amount` would take the total supply past 2^128-1.
    error SupplyOverflow(uint256 supply, uint256 amount);
    /// @notice The zero address is not a valid publisher.
    error ZeroAddress();

    /// @param admin the owner (pause, publisher rotation); a Safe in production
    /// @param publisher_ the key allowed to publish epochs (the coordinator's)
    /// @param name_ the token's name ("hpcbridge reward")
    /// @param symbol_ the token's symbol ("HPCB")
    constructor(address admin, address publisher_, string memory name_, string memory symbol_)
        ERC20(name_, symbol_)
        Ownable(admin)
    {
        if (publisher_ == address(0)) revert ZeroAddress();
        _hot.publisher = publisher_;
        _supply.set = true;
        emit PublisherChanged(address(0), publisher_);
    }

    // ---------------------------------------------------------------- publishing and claiming

    /// @notice Makes `root` (the cumulative tree of epoch `epoch`) the root claims are proved
    /// against. The publisher: not while paused, only a strictly newer epoch, never a zero root.
    /// The owner, when it is not the publisher, may publish too, paused or not, any epoch but 0
    /// (older ones included): the way back from a stolen publisher key, which can publish a root
    /// paying itself and the last epoch (2^64-1) so that no later one could ever follow. The
    /// owner pauses, publishes the last good epoch and root again, rotates the publisher
    /// (setPublisher) and unpauses. Cumulative claims make an older root pay nobody twice.
    function publish(uint64 epoch, bytes32 root) external {
        Hot memory h = _hot;
        if (msg.sender == h.publisher) {
            if (h.paused) revert EnforcedPause();
            if (epoch <= h.epoch) revert EpochNotNewer(epoch, h.epoch);
        } else {
            if (msg.sender != owner()) revert NotPublisher(msg.sender);
            if (epoch == 0) revert EpochNotNewer(epoch, h.epoch);
        }
        if (root == bytes32(0)) revert ZeroRoot();
        _hot.epoch = epoch;
        _root = root;
        emit EpochPublished(epoch, root);
    }

    /// @notice Pays `account` the difference between `cumulativeAmount` (its leaf in the current
    /// root) and what it has claimed so far. Anyone may send it; the tokens go to `account`
    /// (never the zero address: ERC20InvalidReceiver, as OpenZeppelin's mint refuses it).
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof) external {
        // The two slots a claim rewrites are read and written whole (one SLOAD and one SSTORE
        // each; Solidity's struct copies cost ~1,200 gas more a claim). Layouts, as Solidity
        // packs the structs: Supply = total (bits 0-127) | paused (bit 128) | set (bit 136);
        // Account = balance (bits 0-127) | claimed (bits 128-255).
        Supply storage sp = _supply;
        Account storage acc = _accounts[account];
        uint256 supplyWord;
        assembly ("memory-safe") {
            supplyWord := sload(sp.slot)
        }
        if ((supplyWord >> 128) & 0xff != 0) revert EnforcedPause();
        if (account == address(0)) revert ERC20InvalidReceiver(address(0));
        bytes32 root = _root;
        if (root == bytes32(0)) revert NoRoot();
        if (!_verify(proof, root, account, cumulativeAmount)) revert InvalidProof();

        uint256 accountWord;
        assembly ("memory-safe") {
            accountWord := sload(acc.slot)
        }
        uint256 prev = accountWord >> 128;
        if (cumulativeAmount <= prev) revert NothingToClaim(cumulativeAmount, prev);
        uint256 amount;
        unchecked {
            amount = cumulativeAmount - prev;
        }
        // The supply never exceeds 2^128-1 and is at least every claimed total and every
        // balance, so checking the new supply also bounds the new balance and cumulativeAmount.
        // That holds because nothing burns: a burn path would let an account's claimed total
        // exceed the supply, and then a cumulativeAmount past 2^128-1 would wrap in the packed
        // slot (its claimed half cut low: a second payout). Add an explicit bound with one.
        uint256 total = uint128(supplyWord);
        if (amount > type(uint128).max - total) revert SupplyOverflow(total, amount);
        unchecked {
            uint256 newSupply = (supplyWord & ~uint256(type(uint128).max)) | (total + amount);
            uint256 newAccount = (cumulativeAmount << 128) | (uint128(accountWord) + amount);
            assembly ("memory-safe") {
                sstore(sp.slot, newSupply)
                sstore(acc.slot, newAccount)
            }
        }
        emit Transfer(address(0), account, amount);
        emit Claimed(account, amount, cumulativeAmount);
    }

    /// @dev What OpenZeppelin's MerkleProof.verifyCalldata(proof, root, leaf) computes, for the
    /// StandardMerkleTree leaf keccak256(bytes.concat(keccak256(abi.encode(account, amount)))):
    /// the same sorted-pair keccak walk, in assembly without the per-step bounds and overflow
    /// checks (a 100,000-wallet tree's proof has 16-17 levels).
    function _verify(bytes32[] calldata proof, bytes32 root, address account, uint256 amount)
        private
        pure
        returns (bool ok)
    {
        assembly ("memory-safe") {
            mstore(0x00, account)
            mstore(0x20, amount)
            mstore(0x00, keccak256(0x00, 0x40))
            let h := keccak256(0x00, 0x20)
            let p := proof.offset
            for { let end := add(p, shl(5, proof.length)) } lt(p, end) { p := add(p, 0x20) } {
                let s := calldataload(p)
                // Sorted pair without a branch: lo = min(h, s), then the other one.
                let x := xor(h, s)
                let lo := xor(h, mul(x, lt(s, h)))
                mstore(0x00, lo)
                mstore(0x20, xor(x, lo))
                h := keccak256(0x00, 0x40)
            }
            ok := eq(h, root)
        }
    }

    // ---------------------------------------------------------------- views

    /// @notice The latest published epoch (0: none yet).
    function currentEpoch() external view returns (uint64) {
        return _hot.epoch;
    }

    /// @notice The latest published cumulative root (zero: none yet).
    function merkleRoot() external view returns (bytes32) {
        return _root;
    }

    /// @notice The address allowed to publish.
    function publisher() external view returns (address) {
        return _hot.publisher;
    }

    /// @notice Whether publishing and claiming are paused.
    function paused() external view returns (bool) {
        return _hot.paused;
    }

    /// @notice The cumulative amount `account` has claimed.
    function claimed(address account) external view returns (uint256) {
        return _accounts[account].claimed;
    }

    /// @inheritdoc ERC20
    function totalSupply() public view override returns (uint256) {
        return _supply.total;
    }

    /// @inheritdoc ERC20
    function balanceOf(address account) public view override returns (uint256) {
        return _accounts[account].balance;
    }

    // ---------------------------------------------------------------- owner

    /// @notice Replaces the publisher (owner only; never the zero address).
    function setPublisher(address publisher_) external onlyOwner {
        if (publisher_ == address(0)) revert ZeroAddress();
        address previous = _hot.publisher;
        _hot.publisher = publisher_;
        emit PublisherChanged(previous, publisher_);
    }

    /// @notice Refused (OwnableInvalidOwner(0)): giving up ownership is one step and final, and
    /// an owner-less distributor could never be paused, its publisher never replaced, a bad
    /// root never put right. Ownership moves only in two steps (transferOwnership, then
    /// acceptOwnership by the new owner).
    function renounceOwnership() public override onlyOwner {
        revert OwnableInvalidOwner(address(0));
    }

    /// @notice Stops publishing and claiming (owner only). Transfers stay open.
    function pause() external onlyOwner {
        if (_hot.paused) revert EnforcedPause();
        _hot.paused = true;
        _supply.paused = true;
        emit Paused(msg.sender);
    }

    /// @notice Resumes publishing and claiming (owner only).
    function unpause() external onlyOwner {
        if (!_hot.paused) revert ExpectedPause();
        _hot.paused = false;
        _supply.paused = false;
        emit Unpaused(msg.sender);
    }

    // ---------------------------------------------------------------- ERC-20 storage

    /// @dev ERC20's one balance hook over the packed accounts: transfers, and mints or burns
    /// should a future path use them (claims write their slot directly, in one store). No path
    /// burns today; claim's overflow bound relies on it (see there) — a burn needs that bound.
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0)) {
            uint256 supply = _supply.total;
            if (value > type(uint128).max - supply) revert SupplyOverflow(supply, value);
            unchecked {
                _supply.total = uint128(supply + value);
            }
        } else {
            Account storage f = _accounts[from];
            uint256 fromBalance = f.balance;
            if (fromBalance < value) revert ERC20InsufficientBalance(from, fromBalance, value);
            unchecked {
                f.balance = uint128(fromBalance - value);
            }
        }
        if (to == address(0)) {
            unchecked {
                _supply.total -= uint128(value);
            }
        } else {
            // value <= supply <= 2^128-1 and the sum of balances is the supply: no overflow.
            unchecked {
                _accounts[to].balance += uint128(value);
            }
        }
        emit Transfer(from, to, value);
    }
}
